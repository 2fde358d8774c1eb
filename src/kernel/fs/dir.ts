// unlink(2) and rename(2) (fs/namei.c): names go, inodes live on while open.
import type { KState, Proc } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EACCES, EISDIR, ENOENT, EXDEV, ENOTDIR, EBUSY } from "../include/errno.js";
import { lookup, walkErrno, permission, OUTER_DIR, MAY_EXEC, MAY_WRITE } from "./namei.js";
import { inodeOf } from "./file.js";
import { evict } from "./inode.js";

function dropLink(s: KState, ino: number) {
  const inode = inodeOf(s, ino);
  inode.nlink--;
  if (inode.nlink === 0 && inode.refs === 0) evict(s, inode);
}

export function sysUnlink(s: KState, p: Proc, path: string): number {
  const lk = lookup(s, path);
  if (lk === null) return walkErrno(s, path);
  if (lk.ino < 0) return -ENOENT;
  // The mount root: may_delete checks the directory it is mounted on first.
  if (lk.name === "") return permission(p, OUTER_DIR, MAY_WRITE | MAY_EXEC) ? -EISDIR : -EACCES;
  if (!permission(p, inodeOf(s, lk.parent), MAY_WRITE | MAY_EXEC)) return -EACCES;
  if ((inodeOf(s, lk.ino).mode & U.S_IFMT) === U.S_IFDIR) return -EISDIR;
  delete s.dents[path];
  // The inode keeps its last path for /proc/locks.
  dropLink(s, lk.ino);
  return 0;
}

export function sysRename(s: KState, p: Proc, from: string, to: string): number {
  // do_renameat2: both parents are resolved first, then compared, then the old name looked up.
  const a = lookup(s, from);
  if (a === null) return walkErrno(s, from);
  const b = lookup(s, to);
  if (b === null) return walkErrno(s, to);
  // A mount root's parent lies in the filesystem it is mounted on (-1 here), not in its own.
  const pa = a.name === "" ? -1 : a.mnt, pb = b.name === "" ? -1 : b.mnt;
  if (pa !== pb) return -EXDEV;
  if (a.ino < 0) return -ENOENT;
  if (pa === -1) {
    // vfs_rename: the same dentry is 0; then may_delete on the directory below; then is_local_mountpoint.
    if (from === to) return 0;
    return permission(p, OUTER_DIR, MAY_WRITE | MAY_EXEC) ? -EBUSY : -EACCES;
  }
  // vfs_rename: the same inode under both names is 0 before any permission check.
  if (a.ino === b.ino) return 0;
  if (!permission(p, inodeOf(s, a.parent), MAY_WRITE | MAY_EXEC)) return -EACCES;
  const src = inodeOf(s, a.ino);
  if (b.ino >= 0) {
    const dst = inodeOf(s, b.ino);
    const srcDir = (src.mode & U.S_IFMT) === U.S_IFDIR, dstDir = (dst.mode & U.S_IFMT) === U.S_IFDIR;
    if (dstDir && !srcDir) return -EISDIR;
    if (srcDir && !dstDir) return -ENOTDIR;
    dropLink(s, b.ino);
  }
  delete s.dents[from];
  s.dents[to] = a.ino;
  src.path = to;
  return 0;
}
