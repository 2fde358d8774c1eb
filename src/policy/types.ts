// A policy is data (its documentation) plus small hooks, called at the points where the
// kernel (or the proposal's patches) would decide. Hooks only decide: they get the facts
// they need and return a decision as data, which the kernel carries out. They never change
// the state themselves.
import type { Lease } from "../kernel/include/state.js";

export interface PolicyDoc {
  name: string;
  summary: string;
  rules: string[];
  /** Points the thread left open, and what this policy chose. */
  choices: string[];
  sources: string[];
  /** Options as `name=value` (e.g. close=revoke): the allowed values, the first is the default. */
  options: Record<string, string[]>;
  /** The defaults' verdict column is the bare name (`rfc-v1`, not `rfc-v1,gup=today`): an option added later that leaves the policy's old column as it was. */
  plainDefault?: boolean;
}

/** What a long-term pin of a file's pages may see. */
export interface PinQuery {
  /** The pages are FS-DAX: the pin would hold the file's blocks themselves. */
  dax: boolean;
  /** A FOLL_WRITE pin of a shared mapping. */
  write: boolean;
  /** The page cache needs dirty tracking (ext4, xfs), unlike shmem. */
  dirtyTracked: boolean;
  /** The pinning process. */
  pid: number;
  /** The file's leases, in the kernel's order. */
  leases: readonly Lease[];
}

/** A pin is allowed (under `lease`, or -1 for none) or refused with an errno. */
export type PinDecision = { ok: true; lease: number } | { ok: false; err: number };

/** What a layout change (truncate, punch, collapse, insert, zero range, an allocating write) is. */
export interface LayoutQuery {
  dax: boolean;
  /** It frees blocks (a write that allocates does not). */
  frees: boolean;
  /** Some layout lease on the file has pins taken under it. */
  pinnedLeases: boolean;
  /** The caller's own process holds an exclusive layout lease on the file. */
  ownExclusive: boolean;
}

/**
 * One step of a layout change's plan, carried out in order by the kernel (locks/layout.ts
 * layoutChange). A step may end the change: with an errno, or by sleeping, after which
 * the whole call starts over.
 */
export type LayoutStep =
  /** SIGIO to the holders of layout leases with pins: always, or only when a page of the change is pinned. */
  | { k: "tellPinnedHolders"; always: boolean }
  /** SIGKILL to the processes holding exclusive layout leases (other than the caller's). */
  | { k: "killExclusiveHolders" }
  /** break_layout: recall layout leases; exclusive ones refuse (ETXTBSY, `own` for the holder's process, 0 passes it) or are waited for. */
  | { k: "breakLayout"; own: number; exclusive: "refuse" | "wait"; skipPinned: boolean }
  /** Fail with `err` if a page of the changed range is pinned. */
  | { k: "refuseIfPinned"; err: number }
  /**
   * dax_break_layout: sleep until no pinned DAX page is left in the way (FS-DAX only): any
   * page of the file (today's dax_break_layout_inode), or only the changed range (`range`:
   * the sub-range dax_layout_busy_page_range of the RFCs' patch 06).
   */
  | { k: "waitIfPinned"; range: boolean };

/** What the last reference to a leased file with pins does (sticky's close=). */
export type CloseWithPins = "drop" | "sigkill" | "revoke" | "block";

export interface Hooks {
  /** F_SETLEASE with an argument beyond F_RDLCK/F_WRLCK/F_UNLCK: the FL_ kind flags, or -errno. `signum` is the file's F_SETSIG. */
  leaseArg(arg: number, signum: number): number;
  /**
   * F_SETLEASE F_UNLCK of `l`: go on, sleep until its pins are gone, or find that the lease is
   * no longer the file's to drop (it belongs to the pins: the call fails as generic_delete_lease
   * does for a file without a lease, EAGAIN).
   */
  unlock(l: Lease): "go" | "waitUnpin" | "owned";
  /** A long-term pin (FOLL_LONGTERM) of a file's pages. */
  longtermPin(q: PinQuery): PinDecision;
  /** The plan of a layout change. */
  layoutChange(q: LayoutQuery): readonly LayoutStep[];
  /** At the last reference to a file that holds a lease with pins. */
  closeWithPins(): CloseWithPins;
  /** May time_out_leases force lease `l` through (sticky: not while it has pins)? */
  timesOut(l: Lease): boolean;
  /** Do the pins hold the leased file open (RFC v2 file_pins, mr-owned)? */
  pinsHoldLeasedFile: boolean;
  /** Are memory regions registered on demand (no pins)? */
  forceOdp: boolean;
  /** Does F_SETLAYOUT exist? */
  setlayout: boolean;
  /** Admin views this policy adds: /proc/<pid>/file_pins, MR-owned files in rdma and lsof. */
  filePinsView: boolean;
  mrFileView: boolean;
  /**
   * Admin revokes the thread proposed (Dan Williams, Jason Gunthorpe, Jan Kara): disassociate
   * one process's RDMA context, or every context pinning one file (also Jason's forced
   * invalidation when that file's DAX range fails). Without it they are ENOENT.
   */
  adminRevoke: boolean;
  /** Dan Williams' memory-block view: /sys/devices/system/memory/memoryN/pinned_by lists the pinners. */
  memoryBlockView: boolean;
}

/** A policy definition; `configure` turns its options into the hooks that depend on them. */
export type PolicyDef = PolicyDoc & Hooks & { configure?(opts: Record<string, string>): Partial<Hooks> };

/** A policy ready to run: `spec` is how it was named (`sticky,close=revoke`), `opts` every option's value. */
export type Policy = PolicyDoc & Hooks & { readonly spec: string; readonly opts: Readonly<Record<string, string>> };
