// Taking an RDMA context away from under its process (drivers/infiniband/core/uverbs_main.c
// ib_uverbs_free_hw_resources): the context gets IBV_EVENT_DEVICE_FATAL on its async event
// queue, every object is destroyed (its MRs unpinned and dead: the NIC gets a remote access
// error), and later verbs fail with EIO; the file stays open until the process closes it.
// Today only a device removal does this, to every context at once (`rmmod mlx5_ib`); the
// thread's targeted revokes are the policy's (adminRevoke).
import type { KState, Proc, OpenFile } from "../include/state.js";
import { FK_UVERBS } from "../include/state.js";
import { ENOENT, EINVAL, EBADF, EAGAIN, EIO, EPERM } from "../include/errno.js";
import { CAP } from "../include/state.js";
import { revokeContext } from "../mm/pin_set.js";
import { fget } from "../fs/file.js";
import { IBV_EVENTS } from "../include/uapi.js";

const DEVICE_FATAL = IBV_EVENTS.IBV_EVENT_DEVICE_FATAL!;

/** The one RDMA driver the model has (/dev/infiniband/uverbs0). */
export const RDMA_MODULE = "mlx5_ib";

/** Disassociates one context: the event, then uverbs_destroy_ufile_hw(RDMA_REMOVE_DRIVER_REMOVE). */
export function disassociate(s: KState, f: OpenFile) {
  if (f.revoked) return;
  f.asyncEvent = DEVICE_FATAL;
  revokeContext(s, f.id);
}

/** Admin calls need CAP_SYS_ADMIN (writing to sysfs, unloading a module: CAP_SYS_MODULE, which the model folds in). */
function admin(p: Proc): boolean {
  return (p.caps & CAP.SYS_ADMIN) !== 0;
}

/** rmmod mlx5_ib: ib_unregister_device -> ib_uverbs_remove_one disassociates every context. */
export function sysRmmod(s: KState, p: Proc, mod: string): number {
  if (!admin(p)) return -EPERM;
  if (mod !== RDMA_MODULE) return -ENOENT;
  for (const f of s.files) if (f !== null && f.kind === FK_UVERBS) disassociate(s, f);
  return 0;
}

/**
 * The thread's targeted revoke (Dan Williams: "Can RDMA context invalidation ... be inflicted
 * on a process from the outside?"; Jason Gunthorpe: "Targetting the disassociate of only a
 * single FD would be a new thing"): process `target`'s context at `fd`.
 */
export function sysRevokeContext(s: KState, p: Proc, target: Proc | null, fd: number): number {
  if (!s.pol.adminRevoke) return -ENOENT;
  if (!admin(p)) return -EPERM;
  if (target === null) return -ENOENT;
  const f = fget(s, target, fd);
  if (f === null) return -EBADF;
  if (f.kind !== FK_UVERBS) return -EINVAL;
  disassociate(s, f);
  return 0;
}

/**
 * Revoke the pins on one file (Jan Kara's "method associated with the lease that would
 * invalidate the RDMA context that holds the pins in the same way that a file close would
 * do it"; also Jason's forced invalidation when the file's DAX range fails): every context
 * with an MR on the file is disassociated as a whole. io_uring buffers have no such revoke.
 */
export function sysRevokeFile(s: KState, p: Proc, path: string): number {
  if (!s.pol.adminRevoke) return -ENOENT;
  if (!admin(p)) return -EPERM;
  const ino = s.dents[path] ?? s.inodes.find((i) => i !== null && i.path === path)?.ino;
  if (ino === undefined) return -ENOENT;
  const ctxs = new Set<number>();
  for (const ps of s.pinsets) {
    if (ps === null || ps.kind !== "mr" || ps.pinned.length === 0) continue;
    for (let i = 3; i < ps.pinned.length; i += 4) if (ps.pinned[i] === ino) ctxs.add(ps.ctx);
  }
  for (const id of [...ctxs].sort((a, b) => a - b)) disassociate(s, s.files[id]!);
  return 0;
}

/**
 * ibv_get_async_event on the context's async fd, read without blocking: the queued event, EIO
 * once a disassociated queue is empty (ib_uverbs_event_read: is_closed), else EAGAIN.
 */
export function ibvGetAsyncEvent(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  if (f.kind !== FK_UVERBS) return -EINVAL;
  if (f.asyncEvent >= 0) { const e = f.asyncEvent; f.asyncEvent = -1; return e; }
  return f.revoked ? -EIO : -EAGAIN;
}
