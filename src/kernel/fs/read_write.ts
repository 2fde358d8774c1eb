// read/write and friends (fs/read_write.c), ftruncate and fallocate (fs/open.c), fsync.
import type { KState, Proc } from "../include/state.js";
import { FMODE_READ, FMODE_WRITE } from "../include/state.js";
import { isDax } from "./inode.js";
import * as U from "../include/uapi.js";
import { ESPIPE, EBADF, EINVAL, EISDIR, EOPNOTSUPP, EFBIG, ENODEV, EFAULT } from "../include/errno.js";
import { fget, inodeOf, fileOps } from "./file.js";
import { layoutChange, type Restart } from "../locks/layout.js";
import { setSize } from "./open.js";
import { needsAllocation, dioMisaligned } from "./data.js";
import { sharedInRange } from "./inode.js";
import { readData, writeData, allocateRange, punchHole, collapseRange, insertRange, mountOf } from "./data.js";

/** Result of a read: the count (or -errno) and the bytes. */
export interface ReadResult { ret: number; data: string }

export function sysRead(s: KState, p: Proc, fd: number, n: number, off: number | null): ReadResult {
  // ksys_pread64 refuses a negative offset before it looks at the descriptor.
  if (off !== null && off < 0) return { ret: -EINVAL, data: "" };
  const f = fget(s, p, fd);
  if (f === null) return { ret: -EBADF, data: "" };
  // ksys_pread64: a file without FMODE_PREAD (an io_uring, the stream_open'ed RDMA context) is ESPIPE.
  const ops = fileOps(s, f);
  if (off !== null && !ops.pread) return { ret: -ESPIPE, data: "" };
  if (!(f.fmode & FMODE_READ)) return { ret: -EBADF, data: "" };
  // vfs_read: a file with no read method (the RDMA context, an io_uring) is EINVAL.
  if (!ops.read) return { ret: -EINVAL, data: "" };
  // vfs_read: access_ok() refuses a count that wraps the address space (EFAULT) before
  // rw_verify_area, and before the file's ->read (EISDIR for a directory).
  if (n < 0) return { ret: -EFAULT, data: "" };
  const inode = inodeOf(s, f.ino);
  if ((inode.mode & U.S_IFMT) === U.S_IFDIR) return { ret: -EISDIR, data: "" };
  if ((inode.mode & U.S_IFMT) === U.S_IFCHR) return { ret: 0, data: "" }; // /dev/null: end of file
  const pos = off ?? f.pos;
  if (pos >= inode.size) return { ret: 0, data: "" }; // __iomap_dio_rw too returns 0 here, before any check
  if ((f.flags & U.O_DIRECT) && !isDax(s, inode) && dioMisaligned(inode, mountOf(s, inode), pos, n, false)) return { ret: -EINVAL, data: "" };
  const data = readData(s, inode, pos, n);
  if (off === null) f.pos += data.length;
  return { ret: data.length, data };
}

/** `redo`: how a write that sleeps on a layout starts over (default: as the write or pwrite it is). */
export function sysWrite(s: KState, p: Proc, fd: number, bytes: string, off: number | null, redo?: Restart): number {
  if (off !== null && off < 0) return -EINVAL; // ksys_pwrite64, before fdget
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  const ops = fileOps(s, f);
  if (off !== null && !ops.pread) return -ESPIPE; // ksys_pwrite64: no FMODE_PWRITE
  if (!(f.fmode & FMODE_WRITE)) return -EBADF;
  // vfs_write: no write method (EINVAL); see fileOps for the RDMA context.
  if (!ops.write) return -EINVAL;
  if (bytes.length === 0) return 0;
  const inode = inodeOf(s, f.ino);
  if ((inode.mode & U.S_IFMT) === U.S_IFCHR) return bytes.length; // /dev/null swallows it
  // O_APPEND writes at the end, even for pwrite (pwrite(2), BUGS).
  const pos = f.flags & U.O_APPEND ? inode.size : off ?? f.pos;
  if ((f.flags & U.O_DIRECT) && !isDax(s, inode)) {
    const m = mountOf(s, inode);
    // xfs_file_dio_write checks the position it was given before generic_write_checks
    // moves an O_APPEND write to EOF; iomap then checks where the write really goes.
    if (m.type === "xfs" && dioMisaligned(inode, m, off ?? f.pos, bytes.length, true)) return -EINVAL;
    if (dioMisaligned(inode, m, pos, bytes.length, true)) return -EINVAL;
  }
  // A write that must allocate changes the layout (xfs_file_write_checks: BREAK_WRITE); one
  // over a shared block also takes that block out of the file (copy on write), as a punch does.
  const cow = sharedInRange(s, inode, pos, bytes.length);
  if (cow || needsAllocation(s, inode, pos, bytes.length)) {
    const again = redo ?? (off === null ? { call: "write", args: [fd, bytes, bytes.length] } : { call: "pwrite", args: [fd, bytes, bytes.length, off] });
    const lr = layoutChange(s, p, inode, pos, pos + bytes.length, cow, again);
    if (lr !== 0) return lr;
  }
  const r = writeData(s, inode, pos, bytes);
  if (r > 0 && off === null) f.pos = pos + r;
  return r;
}

/** ftruncate(2): do_ftruncate checks the file was opened for writing; it breaks no lease. */
export function sysFtruncate(s: KState, p: Proc, fd: number, len: number): number {
  if (len < 0) return -EINVAL;
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  const inode = inodeOf(s, f.ino);
  if ((inode.mode & U.S_IFMT) !== U.S_IFREG || !(f.fmode & FMODE_WRITE)) return -EINVAL;
  return setSize(s, p, inode, len, "ftruncate", [fd, len]);
}

const S_MAXBYTES = 2 ** 53;

/** fallocate(2): vfs_fallocate's checks, then the filesystem's (ext4/xfs/shmem _fallocate). */
export function sysFallocate(s: KState, p: Proc, fd: number, mode: number, off: number, len: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  if (off < 0 || len <= 0) return -EINVAL;
  // vfs_fallocate (6.13+): the modes are exclusive, switch (mode & FALLOC_FL_MODE_MASK).
  const MODE_MASK = U.FALLOC_FL_PUNCH_HOLE | U.FALLOC_FL_COLLAPSE_RANGE | U.FALLOC_FL_ZERO_RANGE | U.FALLOC_FL_INSERT_RANGE |
    U.FALLOC_FL_UNSHARE_RANGE | U.FALLOC_FL_WRITE_ZEROES;
  if (mode & ~(MODE_MASK | U.FALLOC_FL_KEEP_SIZE)) return -EOPNOTSUPP;
  switch (mode & MODE_MASK) {
    case 0: case U.FALLOC_FL_UNSHARE_RANGE: case U.FALLOC_FL_ZERO_RANGE: break;
    case U.FALLOC_FL_PUNCH_HOLE: if (!(mode & U.FALLOC_FL_KEEP_SIZE)) return -EOPNOTSUPP; break;
    case U.FALLOC_FL_COLLAPSE_RANGE: case U.FALLOC_FL_INSERT_RANGE: if (mode & U.FALLOC_FL_KEEP_SIZE) return -EOPNOTSUPP; break;
    case U.FALLOC_FL_WRITE_ZEROES: if (mode & U.FALLOC_FL_KEEP_SIZE) return -EOPNOTSUPP; break;
    default: return -EOPNOTSUPP;
  }
  const punch = (mode & U.FALLOC_FL_PUNCH_HOLE) !== 0, zero = (mode & (U.FALLOC_FL_ZERO_RANGE | U.FALLOC_FL_WRITE_ZEROES)) !== 0;
  if (!(f.fmode & FMODE_WRITE)) return -EBADF;
  const inode = inodeOf(s, f.ino);
  if ((inode.mode & U.S_IFMT) === U.S_IFDIR) return -EISDIR;
  if ((inode.mode & U.S_IFMT) !== U.S_IFREG) return -ENODEV;
  if (off + len > S_MAXBYTES) return -EFBIG;
  const m = mountOf(s, inode);
  // shmem_fallocate knows only KEEP_SIZE and PUNCH_HOLE.
  if (m.type === "tmpfs" && (mode & ~(U.FALLOC_FL_KEEP_SIZE | U.FALLOC_FL_PUNCH_HOLE))) return -EOPNOTSUPP;
  // ext4 and xfs know WRITE_ZEROES only on devices that support it; the model's do not.
  if (mode & U.FALLOC_FL_WRITE_ZEROES) return -EOPNOTSUPP;
  const shift = (mode & (U.FALLOC_FL_COLLAPSE_RANGE | U.FALLOC_FL_INSERT_RANGE)) !== 0;
  if (shift) {
    // ext4_collapse_range / xfs_collapse_file_space: block-aligned, inside the file.
    if (off % m.bsize !== 0 || len % m.bsize !== 0) return -EINVAL;
    if (mode & U.FALLOC_FL_COLLAPSE_RANGE ? off + len >= inode.size : off >= inode.size) return -EINVAL;
    if ((mode & U.FALLOC_FL_INSERT_RANGE) && inode.size + len > S_MAXBYTES) return -EFBIG;
  }
  // xfs_file_fallocate / ext4_fallocate break layouts first: a shift moves everything after off.
  const end = shift ? Math.max(inode.size, off + len) : off + len;
  const r = layoutChange(s, p, inode, off, end, punch || zero || shift, { call: "fallocate", args: [fd, mode, off, len] });
  if (r !== 0) return r;
  if (punch) { punchHole(s, inode, off, len); return 0; }
  if (mode & U.FALLOC_FL_COLLAPSE_RANGE) { collapseRange(s, inode, off, len); return 0; }
  if (mode & U.FALLOC_FL_INSERT_RANGE) { insertRange(s, inode, off, len); return 0; }
  return allocateRange(s, inode, off, len, zero, (mode & U.FALLOC_FL_KEEP_SIZE) !== 0);
}

export function sysFsync(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  // vfs_fsync_range: EINVAL without ->fsync.
  return fileOps(s, f).fsync ? 0 : -EINVAL;
}
