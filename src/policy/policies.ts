// Today's Linux and each proposal of the thread, as data plus small hooks that decide.
// PROPOSALS.md (shared/docs) is the source; `choices` record where we had to choose.
import { FL_LAYOUT, FL_EXCLUSIVE } from "../kernel/include/state.js";
import type { Hooks, PolicyDef, PinQuery, PinDecision, LayoutQuery, LayoutStep } from "./types.js";
import { EINVAL, EOPNOTSUPP, EFAULT, EPERM, ETXTBSY, EDEADLK } from "../kernel/include/errno.js";
import { F_LAYOUT, F_EXCLUSIVE } from "../kernel/include/uapi.js";
import { SIGKILL } from "../kernel/include/signal_names.js";
import { layoutLeases, heldLayout, leaseBreaking } from "../kernel/include/lease.js";

type P = PolicyDef;

const noLayoutArgs = () => -EINVAL;

/** Today: FOLL_LONGTERM refuses FS-DAX (EOPNOTSUPP) and write pins of dirty-tracked page cache (EFAULT). */
function linuxPin(q: PinQuery): PinDecision {
  if (q.dax) return { ok: false, err: EOPNOTSUPP }; // check_vma_flags: vma_is_fsdax; folio_is_longterm_pinnable (6.15)
  if (q.write && q.dirtyTracked) return { ok: false, err: EFAULT }; // writable_file_mapping_allowed (6.5)
  return { ok: true, lease: -1 };
}

/**
 * Today: a layout change that frees blocks waits for pinned DAX pages; nothing can refuse
 * it. The wait covers the whole file (dax_break_layout_inode, from xfs_break_dax_layouts and
 * ext4_break_layouts), not just the range that changes.
 */
function linuxLayout(q: LayoutQuery): LayoutStep[] {
  return q.frees && q.dax ? [{ k: "waitIfPinned", range: false }] : [];
}

/**
 * The RFCs' wait: RFC v1 patches 06 and 08 teach dax_layout_busy_page() a sub-range, so a
 * change waits only on pinned pages it reaches (xfs_break_dax_layouts(inode, &retry, off, len)).
 */
function rangeWait(q: LayoutQuery): LayoutStep[] {
  return q.frees && q.dax ? [{ k: "waitIfPinned", range: true }] : [];
}

const BASE: Omit<Hooks, "leaseArg" | "longtermPin" | "layoutChange"> = {
  unlock: () => "go",
  timesOut: () => true,
  closeWithPins: () => "drop",
  pinsHoldLeasedFile: false,
  forceOdp: false,
  setlayout: false,
  filePinsView: false,
  mrFileView: false,
  adminRevoke: false,
  memoryBlockView: false,
};

export const LINUX: P = {
  ...BASE,
  name: "linux",
  summary: "Today's Linux (6.18): fs/locks.c leases as they are, no layout leases for user space, FS-DAX not long-term pinnable.",
  rules: [
    "F_SETLEASE needs the file's owner uid or CAP_LEASE (EACCES), a regular file (EINVAL), a known type (EINVAL); F_LAYOUT is EINVAL.",
    "check_conflicting_open: a read lease fails (EAGAIN) while anyone has the file open for write; a write lease unless the caller's fd is the only opener.",
    "The lease belongs to the open file description: dup and fork share it; it goes at the last fput.",
    "open for write and truncate(2) break every lease; a read-only open downgrades a write lease; ftruncate, fallocate, write, unlink and rename break none.",
    "The holder gets SIGIO (SI_KERNEL, si_fd 0) or its F_SETSIG signal (POLL_MSG, si_fd); O_NONBLOCK breakers get EAGAIN, the break still starts.",
    "Blocked breakers wait until the holder unlocks or downgrades, or fs.lease-break-time passes (<= 0: never); F_GETLEASE answers the target type meanwhile.",
    "Long-term pins (ibv_reg_mr, io_uring fixed buffers): EOPNOTSUPP on FS-DAX, EFAULT for write pins of ext4/xfs page cache, allowed on tmpfs and anonymous memory.",
    "A truncate or hole punch over pinned DAX pages waits for them (dax_break_layout); pinned page-cache pages are orphaned, not freed.",
  ],
  choices: [],
  sources: ["fs/locks.c", "fs/open.c", "mm/gup.c check_vma_flags, writable_file_mapping_allowed", "fs/dax.c dax_break_layout", "man 2const F_GETLEASE"],
  options: {},
  leaseArg: noLayoutArgs,
  longtermPin: linuxPin,
  layoutChange: linuxLayout,
};

/**
 * The 2019 GUP rules (before 6.5's writable_file_mapping_allowed): FOLL_LONGTERM refused only
 * FS-DAX VMAs, so a write pin of ext4 or xfs page cache was allowed (case 2a of the cover
 * letter: the filesystem would write back bounce-buffered snapshots of the pinned page).
 */
function pin2019(dax: (q: PinQuery) => PinDecision) {
  return (q: PinQuery): PinDecision => (q.dax ? dax(q) : { ok: true, lease: -1 });
}

/** rfc-v1: F_LAYOUT exported, no conflict with opens. */
function v1LeaseArg(arg: number): number {
  return arg === F_LAYOUT ? FL_LAYOUT : -EINVAL;
}

/**
 * RFC v1 patch 04: a FOLL_LONGTERM pin of FS-DAX needs a layout lease on the file
 * (mapping_inode_has_layout walks flc_lease for any FL_LAYOUT entry: whoever set it, and
 * whether or not a break is pending).
 */
function v1Pin(q: PinQuery): PinDecision {
  if (!q.dax) return linuxPin(q);
  const l = layoutLeases(q.leases)[0];
  return l === undefined ? { ok: false, err: EPERM } : { ok: true, lease: l.id };
}

/** RFC v1 patches 05-09: break the layout leases (SIGIO, wait), then ETXTBSY if a page of the sub-range is pinned. */
function v1Layout(q: LayoutQuery): LayoutStep[] {
  if (!q.dax || !q.frees) return linuxLayout(q);
  return [{ k: "breakLayout", own: 0, exclusive: "refuse", skipPinned: false }, { k: "refuseIfPinned", err: ETXTBSY }];
}

const RFC_V1: P = {
  ...BASE,
  name: "rfc-v1",
  summary: "Ira Weiny's RFC v1 (June 2019): F_LAYOUT leases; FS-DAX pins need one (EPERM); truncate breaks them, then fails (ETXTBSY) over pinned pages.",
  rules: [
    "fcntl(fd, F_SETLEASE, F_LAYOUT) takes an F_RDLCK|FL_LAYOUT lease, with no conflict check against other opens; F_GETLEASE answers F_LAYOUT.",
    "ibv_reg_mr / io_uring buffers over FS-DAX fail with EPERM unless the file has a layout lease; the EOPNOTSUPP exclusion is gone.",
    "ext4 and xfs truncate and hole punch break layout leases (SIGIO, wait up to fs.lease-break-time), then fail with ETXTBSY if a page of the sub-range is pinned; unpinned pages are truncated.",
    "A broken or released lease stays gone: later pins fail with EPERM; existing pins stay and truncate keeps failing.",
  ],
  choices: [
    "Any layout lease on the file allows a pin (mapping_inode_has_layout), whoever holds it, a lease whose break is pending included (patch 04 looks at FL_LAYOUT only).",
    "Only truncate, punch, collapse, insert and zero range break layouts; allocating writes do not.",
    "gup=today (the default) keeps 6.5's rule, write pins of ext4/xfs page cache EFAULT, so case 2a (page cache) cannot run; gup=2019 allows them as the kernel the series was written against did (only FS-DAX was refused). The series leaves page cache alone (\"NOTE: this patch set does not address this path\"): a truncate orphans the pinned page, and the model writes the device's writes through to the file while the page is attached, as the bounce-buffer writeback of case 2a would.",
  ],
  sources: ["20190606014544.8339-1-ira.weiny@intel.com"],
  options: { gup: ["today", "2019"] },
  plainDefault: true,
  leaseArg: v1LeaseArg,
  longtermPin: v1Pin,
  layoutChange: v1Layout,
  configure: (opts) => (opts.gup === "2019" ? { longtermPin: pin2019(v1Pin) } : {}),
};

function exclusiveArgs(arg: number): number {
  if (arg === F_LAYOUT) return FL_LAYOUT;
  if (arg === (F_LAYOUT | F_EXCLUSIVE)) return FL_LAYOUT | FL_EXCLUSIVE;
  return -EINVAL;
}

/** Pins need a layout lease set by the pinning process (exclusive ones only, if asked). */
function heldPin(exclusive: boolean) {
  return (q: PinQuery): PinDecision => {
    if (!q.dax) return linuxPin(q);
    const l = heldLayout(q.leases, q.pid, exclusive);
    // A lease being broken is already on its way out: no new pins under it.
    if (l === null || leaseBreaking(l)) return { ok: false, err: EPERM };
    return { ok: true, lease: l.id };
  };
}

const EXCLUSIVE: P = {
  ...BASE,
  name: "exclusive",
  summary: "Dave Chinner's unbreakable layout leases: F_LAYOUT|F_EXCLUSIVE makes a third party's layout change fail with ETXTBSY before it starts, on every filesystem.",
  rules: [
    "F_LAYOUT is a plain layout lease, a recall: the holder gets SIGIO and must let go (it may retake it and re-map).",
    "F_LAYOUT|F_EXCLUSIVE: truncate, punch, collapse, insert, zero range, or a write that allocates, by another process fails with ETXTBSY at once; no signal, no wait.",
    "The holder's own layout changes pass its lease; one that reaches its own pinned pages waits on them (the app deadlocks itself, Jan Kara).",
    "Not DAX-only: the same on every filesystem. Several processes may hold layout leases on one file.",
    "FS-DAX pins need a layout lease (plain or exclusive) set by the pinning process (EPERM).",
  ],
  choices: ["A plain lease is enough to pin; holding pins across a recall is the holder's fault, and the truncate then waits for the pinned pages it reaches (only those: the RFCs' sub-range dax_layout_busy_page)."],
  sources: ["Dave Chinner, June 2019 (seed thread)", "RFC v2 patch 02", "LPC 2019"],
  options: {},
  leaseArg: exclusiveArgs,
  longtermPin: heldPin(false),
  layoutChange: (q) => [{ k: "breakLayout", own: 0, exclusive: "refuse", skipPinned: false }, ...rangeWait(q)],
};

const RFC_V2: P = {
  ...BASE,
  name: "rfc-v2",
  summary: "Ira Weiny's RFC v2 (August 2019): pins need F_LAYOUT|F_EXCLUSIVE held by the pinner; pins are file_pins that keep the leased file (a zombie lease).",
  rules: [
    "FS-DAX pins need an F_LAYOUT|F_EXCLUSIVE lease set by the pinning process (EPERM).",
    "Breaking an exclusive layout lease fails: ETXTBSY for others, EDEADLK for the holder's own process; nothing is signalled or queued.",
    "Each pin holds a reference to the leased file (file_pins, owned by the uverbs context): closing the file and unmapping are allowed, the lease survives in the pins.",
    "Without an exclusive lease, a truncate over pinned pages waits ('by fail I mean hang').",
    "/proc/<pid>/file_pins lists each owner fd and the files it pins.",
  ],
  choices: ["Only FS-DAX files break layouts (ext4 and xfs on DAX), as in the patches."],
  sources: ["20190809225833.6657-1-ira.weiny@intel.com", "20190814180848.GB31490@iweiny-DESK2.sc.intel.com"],
  options: {},
  leaseArg: exclusiveArgs,
  longtermPin: heldPin(true),
  layoutChange: (q) => (q.dax ? [{ k: "breakLayout", own: -EDEADLK, exclusive: "refuse", skipPinned: false }, ...rangeWait(q)] : linuxLayout(q)),
  pinsHoldLeasedFile: true,
  filePinsView: true,
};


/**
 * sticky and mr-owned: a lease with pins is never recalled. Its holders are told (on every
 * layout change, or only when the change is refused), a change over pinned pages fails
 * (ETXTBSY), and leases without pins are recalled as in rfc-v1.
 */
function keepPinnedLeases(tellAlways: boolean): Hooks["layoutChange"] {
  return (q) => {
    if (!q.dax || !q.frees) return linuxLayout(q);
    if (!q.pinnedLeases) return v1Layout(q);
    return [
      { k: "tellPinnedHolders", always: tellAlways },
      { k: "refuseIfPinned", err: ETXTBSY },
      { k: "breakLayout", own: 0, exclusive: "refuse", skipPinned: true },
    ];
  };
}

const STICKY: P = {
  ...BASE,
  name: "sticky",
  summary: "Jan Kara and Dan Williams: a layout lease must be held until every pin taken under it is gone; what the last close does is an option.",
  rules: [
    "FS-DAX pins need a layout lease set by the pinning process (EPERM); the lease counts them.",
    "F_UNLCK while pins remain sleeps until they are released.",
    "Truncate and punch signal the holders; over pinned pages they fail (ETXTBSY); a lease with pins is never timed out.",
    "Last fput of the leased file while pins remain: close=sigkill kills the pinners, close=revoke revokes their memory regions (device disassociate), close=block makes close(2) sleep until they are released.",
    "The admin may revoke one RDMA context (revoke_context) or every context pinning one file (revoke_file): disassociated, IBV_EVENT_DEVICE_FATAL; memoryN/pinned_by lists who pins a memory block.",
    "close=hold is Jan Kara's 12 June variant: each pin holds a reference to the leased struct file, so there is no last fput while pins remain (no special close: the lease stays with the pins after close and munmap), F_UNLCK blocks until the pins are gone, and /proc/<pid>/file_pins lists the pinned files per owner.",
  ],
  choices: [
    "A lease with no pins left behaves as in rfc-v1 (break, wait, then the sub-range check).",
    "close=block applies to close(2); at exit or munmap the last fput acts as close=revoke, since a dying process cannot sleep forever.",
    "close=sigkill kills the processes that registered the pins, not every process sharing the context.",
    "close=sigkill is the default: the thread's first sticky proposal (Jan Kara and Dan Williams, 6 June), and the first close= choice of the project's summary of the proposals. That summary's \"the pin holds the leased struct file\" is close=hold, the 12 June variant, which leaves nothing for close= to decide.",
    "close=hold's /proc view is RFC v2's /proc/<pid>/file_pins format (Jan asked for \"a sane new proc interface\" and named none); the pins are held by the RDMA context or the ring, as in RFC v2.",
  ],
  sources: ["Jan Kara, June 2019 (seed thread)", "Jan Kara, 12 June 2019 (seed msg 24)", "Dan Williams, June 2019", "20190814101714.GA26273@quack2.suse.cz", "20190817022603.GW6129@dread.disaster.area"],
  options: { close: ["sigkill", "revoke", "block", "hold"] },
  leaseArg: v1LeaseArg,
  longtermPin: heldPin(false),
  layoutChange: keepPinnedLeases(true),
  unlock: (l) => (l.pins > 0 ? "waitUnpin" : "go"),
  timesOut: (l) => l.pins === 0,
  closeWithPins: () => "sigkill",
  adminRevoke: true,
  memoryBlockView: true,
  configure: (opts) => {
    // close=hold: the pins keep the leased file, so its last fput waits for them (nothing to decide).
    if (opts.close === "hold") return { closeWithPins: () => "drop", pinsHoldLeasedFile: true, filePinsView: true };
    const close = opts.close === "revoke" ? "revoke" : opts.close === "block" ? "block" : "sigkill";
    return { closeWithPins: () => close };
  },
};

const SETLAYOUT: P = {
  ...RFC_V1,
  name: "setlayout",
  summary: "Jeff Layton's F_SETLAYOUT/F_GETLAYOUT: layouts get their own fcntl commands (F_RDLCK/F_WRLCK/F_UNLCK), otherwise rfc-v1.",
  rules: [
    "fcntl(fd, F_SETLAYOUT, F_RDLCK|F_WRLCK|F_UNLCK) sets or drops a whole-file layout lease; F_GETLAYOUT answers it; F_SETLEASE F_LAYOUT is EINVAL.",
    "Signals and timeouts as for leases; pins, truncate and punch as in rfc-v1.",
  ],
  choices: ["Whole-file layouts only (Jan Kara: ranges in the API, start=0 and end=EOF until supported); an F_WRLCK layout behaves as F_RDLCK."],
  sources: ["Jeff Layton, 9 Jun 2019 and 14 Aug 2019", "20191003084359.GB17911@quack2.suse.cz"],
  options: {},
  plainDefault: false,
  configure: undefined,
  leaseArg: noLayoutArgs,
  setlayout: true,
};

const MR_OWNED: P = {
  ...BASE,
  name: "mr-owned",
  summary: "Jason Gunthorpe: the layout lease moves to the RDMA memory region that pins under it; the MR, not the file, keeps it.",
  rules: [
    "FS-DAX pins need a layout lease set by the pinning process (EPERM); the lease then belongs to the MR: it outlives close() and goes with ibv_dereg_mr.",
    "F_UNLCK of a lease the MR owns fails with EAGAIN, as generic_delete_lease answers a file that holds no lease: the file can no longer drop it.",
    "A truncate or punch over pages an MR pins fails with ETXTBSY, and the MR's process gets SIGIO; leases without pins break as in rfc-v1.",
    "rdma resource show mr and lsof name the file each MR pins.",
    "The admin may revoke one RDMA context (revoke_context) or every context pinning one file (revoke_file): disassociated, IBV_EVENT_DEVICE_FATAL.",
  ],
  choices: [
    "The MR cannot give the lease back on request, so there is no wait: the layout change fails at once.",
    "Any pin set owns the lease it was taken under, io_uring fixed buffers too (the model's pins hold the leased file the same way); F_GETLEASE on the file still answers F_LAYOUT, since the lease stays on the inode set through that file.",
  ],
  sources: ["Jason Gunthorpe, June 2019 (seed thread)"],
  options: {},
  leaseArg: v1LeaseArg,
  longtermPin: heldPin(false),
  layoutChange: keepPinnedLeases(false),
  unlock: (l) => (l.pins > 0 ? "owned" : "go"),
  pinsHoldLeasedFile: true,
  mrFileView: true,
  adminRevoke: true,
};

const SIGKILL_OPTIN: P = {
  ...BASE,
  name: "sigkill-optin",
  summary: "Dan Williams: an exclusive layout lease, taken after F_SETSIG SIGKILL, is an opt-in to be killed; a third party's layout change kills the holder instead of failing.",
  rules: [
    "F_LAYOUT|F_EXCLUSIVE needs F_SETSIG SIGKILL first (EINVAL without it, or with another signal); FS-DAX pins need that lease, set by the pinning process (EPERM).",
    "A layout change by another process SIGKILLs the exclusive holders, recalls plain layout leases as rfc-v1 does, then goes on once the killed holders' leases and pins are gone.",
    "The holder's own layout change over its pinned pages fails with EDEADLK.",
  ],
  choices: [
    "The opt-in is F_SETSIG with SIGKILL itself (\"opt-in to SIGKILL via F_SETSIG\"): a catchable signal such as SIGUSR1 opts in to nothing. It is checked when the exclusive lease is taken; the kill is SIGKILL whatever F_SETSIG says later.",
    "The change waits for the killed holder's pins to be released (they go when its RDMA context closes).",
  ],
  sources: ["Dan Williams, June 2019 (seed thread)"],
  options: {},
  // "opt-in to SIGKILL via F_SETSIG": the file's F_SETSIG signal must be SIGKILL itself.
  leaseArg: (arg, signum) => {
    const k = exclusiveArgs(arg);
    if (k > 0 && (k & FL_EXCLUSIVE) && signum !== SIGKILL) return -EINVAL;
    return k;
  },
  longtermPin: heldPin(true),
  layoutChange: (q) => {
    if (!q.dax) return linuxLayout(q);
    // Plain layout leases are recalled as in rfc-v1; the killed holders' leases go with them.
    return [
      ...(q.ownExclusive && q.frees ? [{ k: "refuseIfPinned", err: EDEADLK } as const] : []),
      { k: "killExclusiveHolders" },
      { k: "breakLayout", own: 0, exclusive: "wait", skipPinned: false },
      ...rangeWait(q),
    ];
  },
};

const ODP: P = {
  ...LINUX,
  name: "odp",
  summary: "On-demand paging: memory regions take no pins; a truncate invalidates the device's mapping instead. Safe, but needs hardware that can fault.",
  rules: [
    "ibv_reg_mr registers on demand (as IBV_ACCESS_ON_DEMAND): no pins, on any filesystem, no lease needed.",
    "A truncate or punch invalidates the range: the NIC's later access faults through the file's current mapping (a remote access error past EOF).",
    "Everything else is today's Linux.",
  ],
  choices: ["Every MR is on demand; io_uring fixed buffers still pin as today."],
  sources: ["Ira Weiny's cover letter (ODP as the alternative)", "drivers/infiniband/core/umem_odp.c"],
  forceOdp: true,
};

export const PROPOSALS: P[] = [RFC_V1, RFC_V2, STICKY, EXCLUSIVE, SETLAYOUT, MR_OWNED, SIGKILL_OPTIN, ODP];
