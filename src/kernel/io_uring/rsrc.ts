// io_uring fixed buffers (io_uring/rsrc.c) and the reads and writes that use them
// (io_uring/rw.c): the second long-term pinner today's kernel has. A fixed buffer is a set
// of pinned pages (a bvec), not an address range: I/O on it reaches the pages pinned at
// registration, even after the file they came from was truncated under them.
import type { KState, Proc } from "../include/state.js";
import { FK_IO_URING, FMODE_READ, FMODE_WRITE, BLOCKED } from "../include/state.js";
import { EBADF, EBUSY, ENXIO, EOPNOTSUPP, EFAULT, EINVAL } from "../include/errno.js";
import { fget, fileOps, procFds } from "../fs/file.js";
import { pinUserPages } from "../mm/gup.js";
import { record, releasePinSet, pinnedAccess } from "../mm/pin_set.js";
import { openSpecial } from "../fs/anon_inodes.js";
import { sysRead, sysWrite } from "../fs/read_write.js";
import { newWait } from "../locks/locks.js";

const IORING_MAX_ENTRIES = 32768;

/** io_uring_setup(entries, {0}): the SQ rounded up to a power of two, a CQ twice as big. */
export function ioUringSetup(s: KState, p: Proc, entries: number): number {
  if (entries <= 0 || entries > IORING_MAX_ENTRIES) return -EINVAL; // io_uring_create, no IORING_SETUP_CLAMP
  // io_uring_install_fd: get_unused_fd_flags(O_RDWR | O_CLOEXEC): a ring is close-on-exec.
  const fd = openSpecial(s, p, FK_IO_URING, "anon_inode:[io_uring]", true);
  if (fd < 0) return fd;
  let sq = 1;
  while (sq < entries) sq *= 2;
  s.files[procFds(s, p)[fd]!]!.sqEntries = sq;
  return fd;
}

/** io_sqe_buffers_register: one buffer, pinned FOLL_WRITE|FOLL_LONGTERM. */
export function ioUringRegisterBuffers(s: KState, p: Proc, fd: number, addr: number, len: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  if (f.kind !== FK_IO_URING) return -EOPNOTSUPP;
  if (s.pinsets.some((m) => m !== null && m.ctx === f.id)) return -EBUSY;
  const r = pinUserPages(s, p, addr, len, true);
  if (r.ret < 0) return r.ret;
  record(s, p, "uring", f.id, -1, addr, len, 0, r);
  return 0;
}

export function ioUringUnregisterBuffers(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  if (f.kind !== FK_IO_URING) return -EOPNOTSUPP;
  const ps = s.pinsets.find((m) => m !== null && m.ctx === f.id);
  if (ps === undefined || ps === null) return -ENXIO;
  releasePinSet(s, ps);
  return 0;
}

/**
 * IORING_OP_READ_FIXED / WRITE_FIXED on buffer 0, submitted with io_uring_enter and waited
 * for; the result is the completion's res. A read copies the file's bytes into the pinned
 * pages; a write sends the pinned pages' bytes to the file, read when it runs.
 */
export function ioUringRwFixed(s: KState, p: Proc, ring: number, fd: number, addr: number, len: number, off: number, write: boolean): number {
  const rf = fget(s, p, ring);
  if (rf === null) return -EBADF; // io_uring_enter: fdget
  if (rf.kind !== FK_IO_URING) return -EOPNOTSUPP; // io_uring_enter: io_is_uring_fops
  // The file is looked up at submission (io_assign_file), before the buffer is imported.
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  // io_import_reg_buf: no buffer at the index (or one a proposal revoked), or a range outside it.
  const ps = s.pinsets.find((m) => m !== null && m.ctx === rf.id);
  if (ps === undefined || ps === null || ps.dead) return -EFAULT;
  if (addr < ps.addr || addr + len > ps.addr + ps.len) return -EFAULT;
  // io_rw_init_file: the file must be open for the direction (EBADF), before rw_verify_area.
  if (!(f.fmode & (write ? FMODE_WRITE : FMODE_READ))) return -EBADF;
  // An offset of -1 means the file position, as for read(2) (io_kiocb_update_pos).
  if (off < -1) return -EINVAL;
  const pos = off === -1 ? null : off;
  const ops = fileOps(s, f);
  if (!(write ? ops.write : ops.read)) {
    // No read or write method (EINVAL), but a ring cannot even be read: the request polls
    // the ring for input only its own completion would bring, for ever.
    if (write || f.kind !== FK_IO_URING) return -EINVAL;
    p.wait = newWait("poll", -1);
    return BLOCKED;
  }
  if (!write) {
    const r = sysRead(s, p, fd, len, pos);
    if (r.ret > 0) pinnedAccess(s, ps, addr - ps.addr, r.ret, r.data);
    return r.ret;
  }
  // Sleeping on a layout, the write starts over as itself: the pages are read again then.
  const redo = { call: "io_uring_write_fixed", args: [ring, fd, addr, len, off] };
  return sysWrite(s, p, fd, pinnedAccess(s, ps, addr - ps.addr, len, null), pos, redo);
}
