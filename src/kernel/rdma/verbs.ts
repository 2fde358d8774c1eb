// RDMA verbs over /dev/infiniband/uverbs0 (drivers/infiniband/core/uverbs_*.c, umem.c,
// umem_odp.c), io_uring fixed buffers (io_uring/rsrc.c), and the NIC's DMA.
import type { KState, Proc, PinSet, OpenFile, Inode } from "../include/state.js";
import { FK_UVERBS, FK_IO_URING, PIN_DAX, FMODE_READ, FMODE_WRITE } from "../include/state.js";
import { EBADF, EINVAL, EBUSY, EFAULT, EIO } from "../include/errno.js";
import { fget, getFile, fput, allocFd, installFd, releaseFd } from "../fs/file.js";
import { pinUserPages, unpinQuads, backing } from "../mm/gup.js";
import { policyOf } from "../../policy/registry.js";
import { O_RDWR, O_LARGEFILE, PAGE_SIZE, MAP_PRIVATE } from "../include/uapi.js";
import { newInode } from "../fs/inode.js";
import { S_IFCHR } from "../include/uapi.js";
import { readData, writeData } from "../fs/data.js";
import { sendSignal } from "../sched/signal.js";
import { SIGKILL, SI_USER } from "../include/signal_names.js";

export const UVERBS_PATH = "/dev/infiniband/uverbs0";
export const IBV_ACCESS = {
  IBV_ACCESS_LOCAL_WRITE: 1, IBV_ACCESS_REMOTE_WRITE: 2, IBV_ACCESS_REMOTE_READ: 4, IBV_ACCESS_REMOTE_ATOMIC: 8,
  IBV_ACCESS_MW_BIND: 16, IBV_ACCESS_ZERO_BASED: 32, IBV_ACCESS_ON_DEMAND: 64,
} as const;
/** ib_access_writable: these accesses pin with FOLL_WRITE. */
const WRITE_ACCESS = 1 | 2 | 8 | 16;

/** Handles are never reused while the run lasts (0 stays unused, as NULL): a stale handle stays stale. */
function newPinSet(s: KState, ps: Omit<PinSet, "id">): PinSet {
  if (s.pinsets.length === 0) s.pinsets.push(null);
  const id = s.pinsets.length;
  const full: PinSet = { id, ...ps };
  s.pinsets[id] = full;
  return full;
}

function leaseById(s: KState, id: number) {
  for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases) if (l.id === id) return { inode, l };
  return null;
}

/** Unpins and forgets a pin set (ibv_dereg_mr, unregister, context release, revoke). */
export function releasePinSet(s: KState, ps: PinSet, keepRecord = false) {
  unpinQuads(s, ps.pinned);
  const n = ps.pinned.length / 4;
  ps.pinned = [];
  if (ps.lease >= 0) {
    const hit = leaseById(s, ps.lease);
    if (hit !== null) hit.l.pins -= n;
  }
  if (ps.hold >= 0) { const h = ps.hold; ps.hold = -1; fput(s, h); }
  if (keepRecord) ps.dead = true;
  else {
    s.pinsets[ps.id] = null;
  }
}

/** The last fput of an RDMA context or an io_uring instance releases what it owns (uverbs_destroy_ufile_hw). */
export function releaseOwner(s: KState, f: OpenFile) {
  for (const ps of [...s.pinsets]) if (ps !== null && ps.ctx === f.id) releasePinSet(s, ps);
  s.pds.forEach((d, i) => { if (d !== null && d.ctx === f.id) s.pds[i] = null; });
}

/** open("/dev/infiniband/uverbs0") and io_uring_setup: a file with no data, on an inode outside every mount. */
export function openSpecial(s: KState, p: Proc, kind: number, path: string): number {
  const fd = allocFd(p, 0);
  if (fd < 0) return fd;
  let inode: Inode | null;
  if (kind === FK_IO_URING) {
    // anon_inode_create_getfile: each ring has its own inode, made by alloc_anon_inode with
    // the creator's fsuid and mode 0600 and no file type; it goes with the ring.
    inode = newInode(s, -1, 0o600, p.uid, p.gid, path);
    inode.nlink = 0;
  } else {
    // The device node, root's, shared by every open of it.
    inode = s.inodes.find((i) => i !== null && i.mnt < 0 && i.path === path) ?? null;
    if (inode === null) { inode = newInode(s, -1, S_IFCHR | 0o666, 0, 0, path); inode.refs = 1; }
  }
  let id = s.files.indexOf(null);
  if (id < 0) id = s.files.length;
  // open(2) forces O_LARGEFILE (build_open_flags); io_uring_setup's file does not get it.
  const flags = kind === FK_IO_URING ? O_RDWR : O_RDWR | O_LARGEFILE;
  s.files[id] = { id, kind, ref: 1, ino: inode.ino, flags, fmode: FMODE_READ | FMODE_WRITE, pos: 0, owner: 0, ownerUid: 0, signum: 0, revoked: false, sqEntries: 0 };
  inode.refs++;
  inode.writecount++;
  installFd(p, fd, id);
  return fd;
}

export function ibvAllocPd(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  if (f.kind !== FK_UVERBS) return -EINVAL;
  if (f.revoked) return -EIO;
  // Handles are never reused during a run (0 stays unused, as NULL).
  if (s.pds.length === 0) s.pds.push(null);
  const id = s.pds.length;
  s.pds[id] = { id, ctx: f.id };
  return id;
}

export function ibvDeallocPd(s: KState, pd: number): number {
  const d = s.pds[pd];
  if (d === undefined || d === null) return -EINVAL;
  if (s.pinsets.some((m) => m !== null && m.pd === pd)) return -EBUSY;
  s.pds[pd] = null;
  return 0;
}

/** ibv_reg_mr: ib_umem_get pins the range (FOLL_LONGTERM, FOLL_WRITE for writable access), or ODP registers it. */
export function ibvRegMr(s: KState, p: Proc, pd: number, addr: number, len: number, access: number): number {
  const d = s.pds[pd];
  if (d === undefined || d === null) return -EINVAL;
  if (s.files[d.ctx]?.revoked) return -EIO;
  // ib_check_mr_access: remote write or atomic needs local write.
  if ((access & (2 | 8)) && !(access & 1)) return -EINVAL;
  if (len <= 0) return -EINVAL;
  const odp = (access & IBV_ACCESS.IBV_ACCESS_ON_DEMAND) !== 0 || policyOf(s).forceOdp;
  if (odp) {
    for (let a = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE; a < addr + len; a += PAGE_SIZE)
      if (!p.vmas.some((v) => v.start <= a && a < v.end)) return -EFAULT;
    return newPinSet(s, { kind: "mr", ctx: d.ctx, pd, pid: p.pid, addr, len, access, odp: true, pinned: [], files: [], dead: false, lease: -1, hold: -1 }).id;
  }
  const r = pinUserPages(s, p, addr, len, (access & WRITE_ACCESS) !== 0);
  if (r.ret < 0) return r.ret;
  return record(s, p, "mr", d.ctx, pd, addr, len, access, r).id;
}

export function record(s: KState, p: Proc, kind: "mr" | "uring", ctx: number, pd: number, addr: number, len: number, access: number, r: { pinned: number[]; files: string[]; lease: number }): PinSet {
  let hold = -1;
  if (r.lease >= 0) {
    const hit = leaseById(s, r.lease)!;
    hit.l.pins += r.pinned.length / 4;
    if (policyOf(s).pinsHoldLeasedFile) { hold = hit.l.file; getFile(s.files[hold]!); }
  }
  return newPinSet(s, { kind, ctx, pd, pid: p.pid, addr, len, access, odp: false, pinned: r.pinned, files: r.files, dead: false, lease: r.lease, hold });
}

export function ibvDeregMr(s: KState, mr: number): number {
  const ps = s.pinsets[mr];
  if (ps === undefined || ps === null || ps.kind !== "mr") return -EINVAL;
  releasePinSet(s, ps);
  return 0;
}

/** An ODP MR's page at `addr` as the process maps it now (hmm_range_fault), or null. */
function odpTarget(s: KState, ps: PinSet, addr: number) {
  const p = s.procs.find((x) => x.pid === ps.pid);
  if (p === undefined) return null;
  const v = p.vmas.find((x) => x.start <= addr && addr < x.end);
  if (v === undefined) return null;
  const bk = backing(s, v, addr);
  if (bk === null || bk.index * PAGE_SIZE >= bk.inode.size) return null;
  return { ...bk, private: v.flags === MAP_PRIVATE };
}

/**
 * The NIC writes `bytes` at `off` into MR `mr`, as a remote peer's RDMA WRITE makes it
 * do. It reaches the pinned pages, whoever owns them now. -EFAULT: a remote access error.
 */
export function nicWrite(s: KState, mr: number, off: number, bytes: string): number {
  return nicAccess(s, mr, off, bytes.length, bytes).ret;
}

export function nicRead(s: KState, mr: number, off: number, n: number): { ret: number; data: string } {
  return nicAccess(s, mr, off, n, null);
}

function nicAccess(s: KState, mr: number, off: number, n: number, bytes: string | null): { ret: number; data: string } {
  const ps = s.pinsets[mr];
  if (ps === undefined || ps === null || ps.kind !== "mr" || ps.dead) return { ret: -EFAULT, data: "" };
  if (off < 0 || n < 0 || off + n > ps.len) return { ret: -EFAULT, data: "" };
  if (!ps.odp) return { ret: n, data: pinnedAccess(s, ps, off, n, bytes) };
  let data = "";
  for (let done = 0; done < n;) {
    const va = ps.addr + off + done;
    const inPage = va % PAGE_SIZE;
    const take = Math.min(PAGE_SIZE - inPage, n - done);
    const chunk = bytes === null ? null : bytes.slice(done, done + take);
    const bk = odpTarget(s, ps, va);
    if (bk === null) return { ret: done > 0 ? done : -EFAULT, data };
    const pos = bk.index * PAGE_SIZE + inPage;
    if (chunk === null) data += readData(s, bk.inode, pos, take).padEnd(take, "\0");
    // A private mapping's written pages are anonymous copies: the file does not change.
    else if (bk.private) { /* the copy is the process's memory, which the model does not keep */ }
    // The fault cannot allocate: a remote access error, not a silent loss.
    else if (writeData(s, bk.inode, pos, chunk) < 0) return { ret: -EFAULT, data };
    done += take;
  }
  return { ret: n, data };
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

/** Who wrote through a pin set, for the monitors' reports. */
function writer(s: KState, ps: PinSet, chunk: string): string {
  if (ps.kind === "mr") return `the NIC wrote ${JSON.stringify(chunk)} through MR ${ps.id}`;
  const p = s.procs.find((x) => x.pid === ps.pid);
  return `io_uring wrote ${JSON.stringify(chunk)} through a fixed buffer of ${p?.name ?? `pid ${ps.pid}`}`;
}

/** One pinned page: a DAX block (whoever owns it now) or a memory page (written through to its block while attached). */
function pageAccess(s: KState, ps: PinSet, i: number, at: number, n: number, chunk: string | null): string {
  const q = ps.pinned;
  if (q[i] === PIN_DAX) {
    const m = s.mounts[q[i + 1]!]!;
    const b = q[i + 2]!;
    const owner = m.owner[b] ?? -1;
    const cur = m.data[b] ?? "";
    if (chunk === null) return (cur.slice(at, at + n)).padEnd(n, "\0");
    const next = cur.padEnd(at, "\0").slice(0, at) + chunk + cur.slice(at + chunk.length);
    if (b < m.data.length) { m.data[b] = next.replace(/\0+$/, ""); m.unwritten[b] = 0; }
    if (owner !== q[i + 3]) {
      const victim = owner >= 0 ? s.inodes[owner]!.path : "a free block";
      s.events.push({
        property: "no-corruption",
        detail: `${writer(s, ps, chunk)} into block ${b} of ${m.path}, which now belongs to ${owner >= 0 ? victim : "no file (freed)"}`,
      });
    }
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
  if (chunk === null) return g.data.slice(at, at + n).padEnd(n, "\0");
  g.data = (g.data.padEnd(at, "\0").slice(0, at) + chunk + g.data.slice(at + chunk.length)).replace(/\0+$/, "");
  if (q[i + 3]! >= 0) {
    s.events.push({ property: "user-told", detail: `${writer(s, ps, chunk)} into a page truncated away from ${ps.files[i / 4]}: the data is lost and nobody is told` });
  }
  return "";
}

export { releaseFd };

/**
 * The last fput of a leased file whose lease has pins (sticky close=): kill the pinners,
 * or revoke their memory regions (device disassociate). "drop" leaves the pins as they are.
 */
export function closeWithPins(s: KState, f: OpenFile) {
  const inode = s.inodes[f.ino];
  if (inode === null || inode === undefined) return;
  for (const l of inode.leases) {
    if (l.file !== f.id || l.pins === 0) continue;
    const what = policyOf(s).closeWithPins(s, f, l);
    if (what === "drop") continue;
    for (const ps of s.pinsets) {
      if (ps === null || ps.lease !== l.id || ps.pinned.length === 0) continue;
      if (what === "sigkill") {
        const p = s.procs.find((x) => x.pid === ps.pid);
        if (p !== undefined) sendSignal(s, p, { signo: SIGKILL, code: SI_USER, fd: 0, band: 0 });
      } else revokeContext(s, ps.ctx); // revoke, and block reached from exit or munmap
    }
  }
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
