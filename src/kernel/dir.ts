// unlink(2) and rename(2) (fs/namei.c): names go, inodes live on while open.
import type { KState, Proc } from "./state.js";
import * as U from "./uapi.js";
import { EACCES, EISDIR, ENOENT, EXDEV, ENOTDIR, EBUSY } from "./errno.js";
import { lookup, permission, MAY_EXEC, MAY_WRITE } from "./namei.js";
import { inodeOf } from "./file.js";
import { evict } from "./inode.js";

function dropLink(s: KState, ino: number) {
  const inode = inodeOf(s, ino);
  inode.nlink--;
  if (inode.nlink === 0 && inode.refs === 0) evict(s, inode);
}

export function sysUnlink(s: KState, p: Proc, path: string): number {
  const lk = lookup(s, path);
  if (lk === null || lk.ino < 0) return -ENOENT;
  if (lk.name === "") return -EISDIR; // the mount root
  if (!permission(p, inodeOf(s, lk.parent), MAY_WRITE | MAY_EXEC)) return -EACCES;
  if ((inodeOf(s, lk.ino).mode & U.S_IFMT) === U.S_IFDIR) return -EISDIR;
  delete s.dents[path];
  // The inode keeps its last path for /proc/locks.
  dropLink(s, lk.ino);
  return 0;
}

export function sysRename(s: KState, p: Proc, from: string, to: string): number {
  const a = lookup(s, from), b = lookup(s, to);
  if (a === null || a.ino < 0 || b === null) return -ENOENT;
  if (a.mnt !== b.mnt) return -EXDEV;
  if (a.name === "" || b.name === "") return -EBUSY;
  if (!permission(p, inodeOf(s, a.parent), MAY_WRITE | MAY_EXEC)) return -EACCES;
  if (a.ino === b.ino) return 0;
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
