// ioctl(FICLONE): fs/ioctl.c ioctl_file_clone, fs/remap_range.c vfs_clone_file_range,
// fs/xfs/xfs_file.c xfs_file_remap_range, xfs_reflink.c (the refcounts and the copy on write
// that later moves a shared block are in inode.ts). Only xfs has ->remap_file_range here:
// mkfs.xfs makes reflink=1 filesystems by default (xfsprogs 5.1 and later); ext4 and tmpfs
// have none.
import type { KState, Proc, Mount, Inode } from "../include/state.js";
import { FMODE_READ, FMODE_WRITE } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EBADF, EXDEV, EISDIR, EINVAL, EOPNOTSUPP, ENOTTY } from "../include/errno.js";
import { fget, inodeOf } from "./file.js";
import { blockRefs, dropBlock, setRefcount } from "./inode.js";
import { layoutChange } from "../locks/layout.js";

/** Makes file block fb of `dst` map physical block b (xfs_reflink_remap_extent, dmap written). */
function shareBlock(s: KState, m: Mount, dst: Inode, fb: number, b: number) {
  while (dst.map.length <= fb) dst.map.push(-1);
  const had = dst.map[fb]!;
  dst.map[fb] = b;
  setRefcount(m, b, blockRefs(m, b) + 1);
  if (had >= 0) dropBlock(s, m, had, dst.ino);
}

/** ioctl(2): the commands the model has. */
export function sysIoctl(s: KState, p: Proc, fd: number, cmd: number, arg: number): number {
  const dst = fget(s, p, fd);
  if (dst === null) return -EBADF;
  if (cmd === U.FICLONE) return ioctlFileClone(s, p, fd, arg);
  // do_vfs_ioctl passes an unknown command to the file's ->unlocked_ioctl: ENOTTY for regular files of these filesystems.
  return -ENOTTY;
}

/** ioctl_file_clone(dst, srcfd, 0, 0, 0): vfs_clone_file_range of the whole source. */
function ioctlFileClone(s: KState, p: Proc, fd: number, srcfd: number): number {
  const out = fget(s, p, fd)!;
  const inn = fget(s, p, srcfd);
  if (inn === null) return -EBADF;
  const src = inodeOf(s, inn.ino), dst = inodeOf(s, out.ino);
  // vfs_clone_file_range: the same superblock, then generic_file_rw_checks.
  if (src.mnt !== dst.mnt) return -EXDEV;
  const isDir = (i: Inode) => (i.mode & U.S_IFMT) === U.S_IFDIR;
  if (isDir(src) || isDir(dst)) return -EISDIR;
  if ((src.mode & U.S_IFMT) !== U.S_IFREG || (dst.mode & U.S_IFMT) !== U.S_IFREG) return -EINVAL;
  if (!(inn.fmode & FMODE_READ) || !(out.fmode & FMODE_WRITE) || (out.flags & U.O_APPEND)) return -EBADF;
  const m = s.mounts[src.mnt]!;
  if (m.type !== "xfs") return -EOPNOTSUPP; // no ->remap_file_range (ext4, shmem)
  // xfs_reflink_remap_prep locks both files first (xfs_ilock2_io_mmap): break_layout on both,
  // and for DAX files a wait for their pinned pages (xfs_mmaplock_two_inodes_and_break_dax_layout).
  // Both are layout changes, as a truncate is, and the policy's plan decides: the source's
  // blocks become shared, so a later write moves them out of the file.
  const len = src.size, blocks = Math.ceil(len / m.bsize);
  const redo = { call: "ioctl", args: [fd, U.FICLONE, srcfd] };
  let r = layoutChange(s, p, src, 0, Math.max(blocks, 1) * m.bsize, true, redo);
  if (r !== 0) return r;
  if (dst !== src) {
    r = layoutChange(s, p, dst, 0, Math.max(dst.size, blocks * m.bsize, 1), true, redo);
    if (r !== 0) return r;
  }
  // Then IS_DAX(in) != IS_DAX(out) is EINVAL (DAX is per mount here: both agree), and
  // __generic_remap_file_range_prep: len 0 clones to the source's EOF, an empty source is done.
  if (len === 0) return 0;
  // generic_remap_checks: a file onto itself overlaps (the EOF block counts whole).
  if (src === dst) return -EINVAL;
  // generic_remap_check_len: a partial EOF block only at or past the destination's EOF.
  if (len % m.bsize !== 0 && len < dst.size) return -EINVAL;
  // xfs_reflink_remap_blocks: written extents are shared; holes and unwritten extents of the
  // source unmap the destination's blocks there.
  for (let fb = 0; fb < blocks; fb++) {
    const b = fb < src.map.length ? src.map[fb]! : -1;
    if (b >= 0 && m.unwritten[b] === 0) shareBlock(s, m, dst, fb, b);
    else if (fb < dst.map.length && dst.map[fb]! >= 0) {
      const had = dst.map[fb]!;
      dst.map[fb] = -1;
      dropBlock(s, m, had, dst.ino);
    }
  }
  while (dst.map.length > 0 && dst.map[dst.map.length - 1] === -1) dst.map.pop();
  // xfs_reflink_update_dest: the destination grows to the end of the clone.
  if (len > dst.size) dst.size = len;
  return 0;
}
