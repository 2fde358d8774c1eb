// Sets of long-term pins with one owner: an RDMA memory region (drivers/infiniband/core/umem.c)
// or an io_uring instance's fixed buffers (io_uring/rsrc.c), and a device's access to the
// pages they pin, which reaches the pages themselves whoever owns them now.
import type { KState, Proc, PinSet, OpenFile, Lease } from "../include/state.js";
import { PIN_DAX } from "../include/state.js";
import { PAGE_SIZE } from "../include/uapi.js";
import { getFile, fput } from "../fs/file.js";
import { unpinQuads } from "./gup.js";
import { readData, writeData } from "../fs/data.js";

/** Handles are never reused while the run lasts (0 stays unused, as NULL): a stale handle stays stale. */
function newPinSet(s: KState, ps: Omit<PinSet, "id">): PinSet {
  if (s.pinsets.length === 0) s.pinsets.push(null);
  const id = s.pinsets.length;
  const full: PinSet = { id, ...ps };
  s.pinsets[id] = full;
  return full;
}

export function leaseById(s: KState, id: number): Lease | null {
  if (id < 0) return null;
  for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases) if (l.id === id) return l;
  return null;
}

/** What pin_user_pages took: the pin quads, the files they belonged to, and the lease they were taken under. */
export interface Pinned { pinned: number[]; files: string[]; lease: number }

/** Records pins under their owner; the lease counts them and, where the policy says so, the pins hold the leased file. */
export function record(s: KState, p: Proc, kind: "mr" | "uring", ctx: number, pd: number, addr: number, len: number, access: number, r: Pinned): PinSet {
  let hold = -1;
  const l = leaseById(s, r.lease);
  if (l !== null) {
    l.pins += r.pinned.length / 4;
    if (s.pol.pinsHoldLeasedFile) { hold = l.file; getFile(s.files[hold]!); }
  }
  return newPinSet(s, { kind, ctx, pd, pid: p.pid, addr, len, access, odp: false, pinned: r.pinned, files: r.files, dead: false, lease: r.lease, hold });
}

/** An on-demand MR (no pins). */
export function recordOdp(s: KState, p: Proc, ctx: number, pd: number, addr: number, len: number, access: number): PinSet {
  return newPinSet(s, { kind: "mr", ctx, pd, pid: p.pid, addr, len, access, odp: true, pinned: [], files: [], dead: false, lease: -1, hold: -1 });
}

/** Unpins and forgets a pin set (ibv_dereg_mr, unregister, context release); a revoked one is kept, dead. */
export function releasePinSet(s: KState, ps: PinSet, keepRecord = false) {
  unpinQuads(s, ps.pinned);
  const n = ps.pinned.length / 4;
  ps.pinned = [];
  const l = leaseById(s, ps.lease);
  if (l !== null) l.pins -= n;
  if (ps.hold >= 0) { const h = ps.hold; ps.hold = -1; fput(s, h); }
  if (keepRecord) ps.dead = true;
  else s.pinsets[ps.id] = null;
}

/** The last fput of an RDMA context or an io_uring instance releases what it owns (uverbs_destroy_ufile_hw, io_ring_ctx_free). */
export function releaseOwner(s: KState, f: OpenFile) {
  for (const ps of s.pinsets) if (ps !== null && ps.ctx === f.id) releasePinSet(s, ps);
  s.pds.forEach((d, i) => { if (d !== null && d.ctx === f.id) s.pds[i] = null; });
}

/**
 * Device disassociate (ib_uverbs_remove_one -> uverbs_destroy_ufile_hw): every object of
 * the context is destroyed at once — all its MRs are unpinned and dead, and the context
 * refuses new work (EIO), although its file stays open.
 */
export function revokeContext(s: KState, ctx: number) {
  for (const m of s.pinsets) if (m !== null && m.ctx === ctx && !m.dead) releasePinSet(s, m, true);
  const f = s.files[ctx];
  if (f !== null && f !== undefined) f.revoked = true;
}

/**
 * A device's access to bytes [off, off+n) of a pinned range (no ODP): it reaches the pinned
 * pages themselves, whoever owns them now. Writes `bytes`, or reads when it is null.
 */
export function pinnedAccess(s: KState, ps: PinSet, off: number, n: number, bytes: string | null): string {
  let data = "";
  const base = Math.floor(ps.addr / PAGE_SIZE) * PAGE_SIZE;
  for (let done = 0; done < n;) {
    const va = ps.addr + off + done;
    const inPage = va % PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, n - done);
    const chunk = bytes === null ? null : bytes.slice(done, done + take);
    data += pageAccess(s, ps, Math.floor((va - base) / PAGE_SIZE) * 4, inPage, take, chunk);
    done += take;
  }
  return data;
}

/** The pin quads (indexes into ps.pinned) that bytes [off, off+n) of a pinned range reach. */
export function quadsReached(ps: PinSet, off: number, n: number): number[] {
  const out: number[] = [];
  if (n <= 0) return out;
  const base = Math.floor(ps.addr / PAGE_SIZE) * PAGE_SIZE;
  const first = Math.floor((ps.addr + off - base) / PAGE_SIZE), last = Math.floor((ps.addr + off + n - 1 - base) / PAGE_SIZE);
  for (let pg = first; pg <= last && pg * 4 < ps.pinned.length; pg++) out.push(pg * 4);
  return out;
}

/** One pinned page: a DAX block (whoever owns it now) or a memory page (written through to its block while attached). */
function pageAccess(s: KState, ps: PinSet, i: number, at: number, n: number, chunk: string | null): string {
  const q = ps.pinned;
  if (q[i] === PIN_DAX) {
    const m = s.mounts[q[i + 1]!]!;
    const b = q[i + 2]!;
    const cur = m.data[b] ?? "";
    if (chunk === null) return (cur.slice(at, at + n)).padEnd(n, "\0");
    const next = cur.padEnd(at, "\0").slice(0, at) + chunk + cur.slice(at + chunk.length);
    if (b < m.data.length) { m.data[b] = next.replace(/\0+$/, ""); m.unwritten[b] = 0; }
    return "";
  }
  const g = s.pages[q[i + 2]!]!;
  if (g.ino >= 0) {
    // Still the file's page: the device reads and writes the file's bytes.
    const inode = s.inodes[g.ino]!;
    const pos = g.index * PAGE_SIZE + at;
    if (chunk === null) return readData(s, inode, pos, n).padEnd(n, "\0");
    writeData(s, inode, pos, chunk);
    return "";
  }
  // An orphan: truncated away from its file, alive only through its pins.
  if (chunk === null) return g.data.slice(at, at + n).padEnd(n, "\0");
  g.data = (g.data.padEnd(at, "\0").slice(0, at) + chunk + g.data.slice(at + chunk.length)).replace(/\0+$/, "");
  return "";
}
