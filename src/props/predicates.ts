// The five properties of PROPOSALS.md as pure predicates: over a state (no-corruption,
// pinner-visible), over a call and the state it left (user-told, recoverable), and the
// question no-innocent-hang asks of a sleeper. Each returns what is wrong, or null.
import type { KState, Proc, PinSet } from "../kernel/include/state.js";
import { PState, PIN_DAX, PIN_PAGE, FK_INODE } from "../kernel/include/state.js";
import type { SysArg } from "../kernel/entry.js";
import { quadTarget } from "../kernel/mm/gup.js";
import { quadsReached } from "../kernel/mm/pin_set.js";
import { procFds, holdsFile } from "../kernel/fs/file.js";

export { PROPERTIES, type Property } from "./names.js";

function alive(p: Proc): boolean {
  return p.state === PState.Running || p.state === PState.Blocked;
}

/** Can the device write through this pin (an MR with a writable access, any io_uring buffer)? */
function pinWrites(ps: PinSet): boolean {
  return ps.kind === "uring" || (ps.access & 0xb) !== 0; // IBV_ACCESS_LOCAL_WRITE|REMOTE_WRITE|REMOTE_ATOMIC
}

export function pinCount(ps: PinSet): number {
  return ps.pinned.length / 4;
}

function pinner(ps: PinSet): string {
  return ps.kind === "mr" ? "MR" : "io_uring buffer";
}

/** no-corruption: a block that a pin can reach is never freed or given to another file. */
export function corruption(s: KState): string | null {
  for (const ps of s.pinsets) {
    if (ps === null) continue;
    for (let i = 0; i < ps.pinned.length; i += 4) {
      if (ps.pinned[i] !== PIN_DAX) continue;
      const t = quadTarget(s, ps.pinned, i);
      const m = s.mounts[ps.pinned[i + 1]!]!;
      const ino = ps.pinned[i + 3]!;
      // A shared block (FICLONE) belongs to every file that maps it: the pin still reaches
      // its file, but a device that may write it writes the other files too.
      const shared = (m.refcount[t.block] ?? 0) >= 2;
      const stillMapped = t.owner === ino || (shared && (s.inodes[ino]?.map.includes(t.block) ?? false));
      if (stillMapped && !(shared && pinWrites(ps))) continue;
      const other = s.inodes.find((x) => x !== null && x.ino !== ino && x.mnt === ps.pinned[i + 1] && x.map.includes(t.block));
      const what = stillMapped ? `shared with ${other?.path ?? "another file"}` : t.owner < 0 ? "freed" : `given to ${s.inodes[t.owner]!.path}`;
      return `block ${t.block} of ${m.path}, pinned by ${pinner(ps)} ${ps.id} for ${ps.files[i / 4]}, was ${what} while the device can still write it`;
    }
  }
  return null;
}

/** `p` holds a reference to the pins' owner file: a descriptor, or a mapping of it (a ring's). */
function holdsOwner(s: KState, p: Proc, ps: PinSet): boolean {
  return holdsFile(s, p, ps.ctx) || p.vmas.some((v) => v.file === ps.ctx);
}

/**
 * The live processes that an admin view names for a pinned file, and that hold a reference
 * keeping the pins: the pins' owner, the RDMA context (an MR's pins, and RFC v2's file_pins,
 * go when its last reference does) or the io_uring ring. Having registered the pins is not
 * enough: after a fork the registrant may have closed the context that another process
 * keeps (`rdma` still names the registrant, as restrack does).
 * The views: lsof (the file open or mapped), /proc/locks (its leases), RFC v2's
 * /proc/<pid>/file_pins, and under mr-owned the file in `rdma resource show mr`.
 * Pins of anonymous memory name no file: the rdma tool's pid (or the ring's holders) do, and
 * under sticky the memory-block view (memoryN/pinned_by), which names the context's holders.
 * `mustHold` false: the registrant counts too, holder or not (whom an admin reading rdma
 * would kill).
 */
export function namedPinners(s: KState, ps: PinSet, mustHold = true): Proc[] {
  const out: Proc[] = [];
  const related = (p: Proc | undefined): p is Proc => p !== undefined && alive(p) && (holdsOwner(s, p, ps) || (!mustHold && p.pid === ps.pid));
  const add = (p: Proc | undefined) => { if (related(p) && !out.includes(p)) out.push(p); };
  const inos = new Set<number>();
  for (let i = 3; i < ps.pinned.length; i += 4) inos.add(ps.pinned[i]!);
  for (const ino of inos) {
    if (ino < 0) {
      // The memory-block view (Dan Williams' proposal) names the holders of the pin's owner;
      // it shows no file, so it counts only for pins that name none (anonymous memory).
      if (s.pol.memoryBlockView) for (const p of s.procs) if (holdsFile(s, p, ps.ctx)) add(p);
      if (ps.kind === "mr") add(s.procs.find((p) => p.pid === ps.pid));
      else for (const p of s.procs) if (holdsFile(s, p, ps.ctx)) add(p);
      continue;
    }
    for (const p of s.procs) {
      if (!related(p)) continue;
      const lsof = procFds(s, p).some((id) => id >= 0 && s.files[id]!.kind === FK_INODE && s.files[id]!.ino === ino) ||
        p.vmas.some((v) => v.file >= 0 && s.files[v.file]!.ino === ino);
      const locks = s.inodes[ino]?.leases.some((l) => l.pid === p.pid) ?? false;
      const filePins = s.pol.filePinsView && (holdsFile(s, p, ps.ctx) || (ps.kind === "uring" && p.pid === ps.pid));
      const rdma = s.pol.mrFileView && ps.kind === "mr" && p.pid === ps.pid;
      if (lsof || locks || filePins || rdma) add(p);
    }
  }
  return out;
}

/** pinner-visible: every active pin is attributed, by an admin view, to a live process. */
export function unattributed(s: KState): string | null {
  for (const ps of s.pinsets) {
    if (ps === null || pinCount(ps) === 0) continue;
    if (namedPinners(s, ps).length > 0) continue;
    const files = [...new Set(ps.files)].join(", ");
    return `${pinCount(ps)} pages of ${files} pinned by ${pinner(ps)} ${ps.id}, and no admin view that shows the file names a live process holding the pin`;
  }
  return null;
}

/**
 * user-told, for a device write: a write through a pin into a page that was truncated away
 * from its file is lost, and nobody is told. `call` wrote `ret` bytes (rdma_write by the
 * NIC, or io_uring_read_fixed, which the device fills) by process `p` (null: the NIC).
 */
export function untold(s: KState, p: Proc | null, call: string, args: readonly SysArg[], ret: number, data: string): string | null {
  if (ret <= 0) return null;
  let ps: PinSet | null | undefined = null, off = 0, bytes = data;
  if (call === "rdma_write") {
    ps = s.pinsets[Number(args[0])];
    off = Number(args[1]);
    bytes = String(args[2]).slice(0, ret);
  } else if (call === "io_uring_read_fixed" && p !== null) {
    const ring = procFds(s, p)[Number(args[0])] ?? -1;
    ps = s.pinsets.find((x) => x !== null && x.ctx === ring && x.kind === "uring");
    if (ps !== undefined && ps !== null) off = Number(args[2]) - ps.addr;
  }
  if (ps === undefined || ps === null) return null;
  for (const i of quadsReached(ps, off, ret)) {
    if (ps.pinned[i] !== PIN_PAGE || ps.pinned[i + 3]! < 0) continue;
    const g = s.pages[ps.pinned[i + 2]!];
    if (g === null || g === undefined || g.ino >= 0) continue;
    const who = ps.kind === "mr" ? `the NIC wrote ${JSON.stringify(bytes)} through MR ${ps.id}` : `io_uring wrote ${JSON.stringify(bytes)} through a fixed buffer of ${p?.name ?? `pid ${ps.pid}`}`;
    return `${who} into a page truncated away from ${ps.files[i / 4]}: the data is lost and nobody is told`;
  }
  return null;
}

/** Holds a lease or a pin: a sleeper that does is not innocent (no-innocent-hang). */
export function holdsLeaseOrPin(s: KState, p: Proc): boolean {
  for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases) if (l.pid === p.pid || holdsFile(s, p, l.file)) return true;
  for (const ps of s.pinsets) if (ps !== null && pinCount(ps) > 0 && (ps.pid === p.pid || holdsFile(s, p, ps.ctx))) return true;
  return false;
}

/** A sleep with no timeout of its own: it ends only when someone else acts (or never). */
export function untimed(p: Proc): boolean {
  return p.state === PState.Blocked && p.wait !== null && p.wait.wake < 0;
}
