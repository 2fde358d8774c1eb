// open(2) and truncate(2): fs/open.c do_sys_openat2, do_dentry_open, vfs_truncate.
import type { KState, Proc, Inode } from "../include/state.js";
import { layoutChange } from "../locks/layout.js";
import { FMODE_READ, FMODE_WRITE, BLOCKED, CAP } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EACCES, EEXIST, EINVAL, EISDIR, ENOENT, ENOTDIR, ENXIO, EPERM } from "../include/errno.js";
import { lookup, walkErrno, permission, MAY_EXEC, MAY_READ, MAY_WRITE } from "./namei.js";
import { allocFd, allocFile, fput, installFd, releaseFd, inodeOf, fileOf } from "./file.js";
import { newInode, iput } from "./inode.js";
import { breakLease } from "../locks/locks.js";
import { truncateData } from "./data.js";

const UMASK = 0o022;

/** do_sys_openat2: a descriptor first, then the lookup, the open and the lease break. */
export function sysOpen(s: KState, p: Proc, path: string, flags: number, mode: number): number {
  const fd = allocFd(p, 0);
  if (fd < 0) return fd;
  const r = openFile(s, p, path, flags, mode, fd);
  if (r < 0 && r !== BLOCKED) releaseFd(p, fd);
  return r;
}

function openFile(s: KState, p: Proc, path: string, flags: number, mode: number, fd: number): number {
  // Access mode 3 is legal: a descriptor for neither reading nor writing, which needs
  // both permissions (ACC_MODE) and breaks leases as a writer (__break_lease).
  const acc = flags & U.O_ACCMODE;
  const lk = lookup(s, path);
  if (lk === null) return walkErrno(s, path);
  let created = false;
  let ino = lk.ino;
  if (ino < 0) {
    if (!(flags & U.O_CREAT)) return -ENOENT;
    // may_o_create: write and search permission on the directory.
    if (!permission(p, inodeOf(s, lk.parent), MAY_WRITE | MAY_EXEC)) return -EACCES;
    const inode = newInode(s, lk.mnt, U.S_IFREG | (mode & 0o7777 & ~UMASK), p.uid, p.gid, path);
    s.dents[path] = inode.ino;
    ino = inode.ino;
    created = true;
  } else if ((flags & (U.O_CREAT | U.O_EXCL)) === (U.O_CREAT | U.O_EXCL)) return -EEXIST;
  const inode = inodeOf(s, ino);
  const isDir = (inode.mode & U.S_IFMT) === U.S_IFDIR;
  if (isDir && (flags & U.O_CREAT)) return -EISDIR;
  if ((flags & U.O_DIRECTORY) && !isDir) return -ENOTDIR;
  // may_open: a directory opened for write is EISDIR, before any permission check; O_TRUNC
  // asks for write (build_open_flags).
  if (isDir && (acc !== U.O_RDONLY || (flags & U.O_TRUNC))) return -EISDIR;
  let trunc = (flags & U.O_TRUNC) !== 0 && !created;
  if (!created) {
    // may_open: the access mode, and write for O_TRUNC.
    let mask = 0;
    if (acc !== U.O_WRONLY) mask |= MAY_READ;
    if (acc !== U.O_RDONLY || trunc) mask |= MAY_WRITE;
    if (!permission(p, inode, mask)) return -EACCES;
    // may_open: O_NOATIME needs the owner or CAP_FOWNER.
    if ((flags & U.O_NOATIME) && p.uid !== inode.uid && !(p.caps & CAP.FOWNER)) return -EPERM;
  }
  if (isDir) trunc = false;
  // do_dentry_open: O_DIRECT on a file without FMODE_CAN_ODIRECT (a directory here).
  if (isDir && (flags & U.O_DIRECT)) return -EINVAL;
  if ((inode.mode & U.S_IFMT) !== U.S_IFREG && !isDir) return -ENXIO;
  const fmode = acc === U.O_RDONLY ? FMODE_READ : acc === U.O_WRONLY ? FMODE_WRITE : acc === U.O_RDWR ? FMODE_READ | FMODE_WRITE : 0;
  // f_flags keep neither the creation flags nor O_CLOEXEC; O_LARGEFILE is forced on 64-bit.
  const fflags = (flags & ~(U.O_CREAT | U.O_EXCL | U.O_NOCTTY | U.O_TRUNC | U.O_CLOEXEC)) | U.O_LARGEFILE;
  const f = allocFile(s, ino, fflags, fmode);
  // do_dentry_open: break_lease(inode, f_flags) after the open counts were taken.
  const r = breakLease(s, p, inode, fflags, { op: "open", file: f.id, fd, len: trunc ? 1 : 0, call: "open", args: [path, flags, mode] });
  if (r === BLOCKED) return BLOCKED;
  if (r < 0) {
    fput(s, f.id);
    return r;
  }
  return finishOpen(s, p, f.id, fd, trunc, [path, flags, mode]);
}

/** The rest of the open once the leases gave way: handle_truncate, then fd_install. */
export function finishOpen(s: KState, p: Proc, file: number, fd: number, trunc: boolean, redo: (number | string)[]): number {
  // handle_truncate -> do_truncate: notify_change breaks delegations only, so a read
  // lease does not stop an O_RDONLY|O_TRUNC open from truncating.
  if (trunc) {
    const r = setSize(s, p, inodeOf(s, fileOf(s, file).ino), 0, "open", redo);
    if (r !== 0) {
      // The open starts over when the layout change sleeps; it fails when it is refused.
      fput(s, file);
      if (r !== BLOCKED) releaseFd(p, fd);
      else p.fds[fd] = -1;
      return r;
    }
  }
  installFd(p, fd, file);
  return fd;
}

/** Undoes an open that slept and was interrupted. */
export function abortOpen(s: KState, p: Proc, file: number, fd: number) {
  fput(s, file);
  releaseFd(p, fd);
}

/** truncate(2): do_sys_truncate -> vfs_truncate, which breaks leases and waits. */
export function sysTruncate(s: KState, p: Proc, path: string, len: number): number {
  if (len < 0) return -EINVAL;
  const lk = lookup(s, path);
  if (lk === null) return walkErrno(s, path);
  if (lk.ino < 0) return -ENOENT;
  const inode = inodeOf(s, lk.ino);
  if ((inode.mode & U.S_IFMT) === U.S_IFDIR) return -EISDIR;
  if ((inode.mode & U.S_IFMT) !== U.S_IFREG) return -EINVAL;
  if (!permission(p, inode, MAY_WRITE)) return -EACCES;
  // get_write_access: the truncate counts as a writer while it waits for the leases.
  inode.writecount++;
  inode.refs++;
  const r = breakLease(s, p, inode, U.O_WRONLY, { op: "truncate", file: -1, fd: -1, len, call: "truncate", args: [path, len] });
  if (r === BLOCKED) return BLOCKED;
  return finishTruncate(s, p, inode.ino, len, r, ["truncate", path, len]);
}

/**
 * After the lease break: do_truncate, where the filesystem asks the policy about the
 * layout change (it may refuse, or sleep and start the call over), then drops its write access.
 */
export function finishTruncate(s: KState, p: Proc, ino: number, len: number, err: number, redo: (number | string)[]): number {
  const inode = inodeOf(s, ino);
  if (err === 0) err = setSize(s, p, inode, len, String(redo[0]), redo.slice(1));
  inode.writecount--;
  iput(s, inode);
  return err;
}

/** do_truncate -> notify_change -> the filesystem's setattr: the layout check, then the new size. */
export function setSize(s: KState, p: Proc, inode: Inode, len: number, call: string, args: (number | string)[]): number {
  const r = layoutChange(s, p, inode, Math.min(len, inode.size), Math.max(len, inode.size), len < inode.size, { call, args });
  if (r !== 0) return r;
  truncateData(s, inode, len);
  return 0;
}
