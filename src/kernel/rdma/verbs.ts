// RDMA verbs over /dev/infiniband/uverbs0 (drivers/infiniband/core/uverbs_*.c, umem.c,
// umem_odp.c) and the NIC's DMA.
import type { KState, Proc, PinSet } from "../include/state.js";
import { FK_UVERBS } from "../include/state.js";
import { EBADF, EINVAL, EBUSY, EFAULT, EIO } from "../include/errno.js";
import { fget } from "../fs/file.js";
import { pinUserPages, backing } from "../mm/gup.js";
import { record, recordOdp, releasePinSet, pinnedAccess } from "../mm/pin_set.js";
import { PAGE_SIZE, MAP_PRIVATE } from "../include/uapi.js";
import { readData, writeData } from "../fs/data.js";

export const UVERBS_PATH = "/dev/infiniband/uverbs0";
export const IBV_ACCESS = {
  IBV_ACCESS_LOCAL_WRITE: 1, IBV_ACCESS_REMOTE_WRITE: 2, IBV_ACCESS_REMOTE_READ: 4, IBV_ACCESS_REMOTE_ATOMIC: 8,
  IBV_ACCESS_MW_BIND: 16, IBV_ACCESS_ZERO_BASED: 32, IBV_ACCESS_ON_DEMAND: 64,
} as const;
/** ib_access_writable: these accesses pin with FOLL_WRITE. */
const WRITE_ACCESS = IBV_ACCESS.IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS.IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS.IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS.IBV_ACCESS_MW_BIND;

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
  if ((access & (IBV_ACCESS.IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS.IBV_ACCESS_REMOTE_ATOMIC)) && !(access & IBV_ACCESS.IBV_ACCESS_LOCAL_WRITE)) return -EINVAL;
  if (len <= 0) return -EINVAL;
  const odp = (access & IBV_ACCESS.IBV_ACCESS_ON_DEMAND) !== 0 || s.pol.forceOdp;
  if (odp) {
    for (let a = Math.floor(addr / PAGE_SIZE) * PAGE_SIZE; a < addr + len; a += PAGE_SIZE)
      if (!p.vmas.some((v) => v.start <= a && a < v.end)) return -EFAULT;
    return recordOdp(s, p, d.ctx, pd, addr, len, access).id;
  }
  const r = pinUserPages(s, p, addr, len, (access & WRITE_ACCESS) !== 0);
  if (r.ret < 0) return r.ret;
  return record(s, p, "mr", d.ctx, pd, addr, len, access, r).id;
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

