// open(2) and truncate(2): fs/open.c do_sys_openat2, do_dentry_open, vfs_truncate.
import type { KState, Proc, Inode } from "../include/state.js";
import { layoutChange } from "../locks/layout.js";
import { FMODE_READ, FMODE_WRITE, FMODE_PATH, BLOCKED, CAP } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EACCES, EBADF, EEXIST, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, ENXIO, EPERM } from "../include/errno.js";
import {
  pathParent, pathLookup, walkLast, permission, dirAttrs, dentKey, mountDir, ROOT, OUTER_DIR, LAST_NORM, PATH_MAX,
  MAY_EXEC, MAY_READ, MAY_WRITE, type Dir,
} from "./namei.js";
import { allocFd, allocFile, fput, fgetRaw, installFd, releaseFd, inodeOf, fileOf, fdtOf } from "./file.js";
import { FK_INODE } from "../include/state.js";
import { ModelBug } from "../include/assert.js";
import { newInode, iput } from "./inode.js";
import { breakLease } from "../locks/locks.js";
import { truncateData } from "./data.js";

const UMASK = 0o022;

/** do_sys_openat2: getname, then a descriptor, then the walk, the open and the lease break. */
export function sysOpen(s: KState, p: Proc, path: string, flags: number, mode: number, start: Dir | number = ROOT): number {
  if (path.length >= PATH_MAX) return -ENAMETOOLONG;
  if (path === "") return -ENOENT;
  const fd = allocFd(s, p, 0);
  if (fd < 0) return fd;
  const r = openFile(s, p, path, flags, mode, fd, start);
  if (r < 0 && r !== BLOCKED) releaseFd(s, p, fd);
  return r;
}

/** path_init for a descriptor-relative path: the directory of `dirfd` (EBADF, ENOTDIR), or the cwd "/". */
export function startDir(s: KState, p: Proc, dirfd: number, path: string): Dir | number {
  if (path.startsWith("/") || dirfd === U.AT_FDCWD) return ROOT;
  // path_init: fdget_raw, so an O_PATH descriptor of a directory will do.
  const f = fgetRaw(s, p, dirfd);
  if (f === null) return -EBADF;
  const m = f.kind === FK_INODE ? s.mounts.findIndex((mt) => mt.root === f.ino) : -1;
  return m >= 0 ? mountDir(s, m) : -ENOTDIR;
}

function openFile(s: KState, p: Proc, path: string, flags: number, mode: number, fd: number, start: Dir | number): number {
  if (typeof start === "number") return start;
  // build_open_how: "O_PATH beats everything else": only O_DIRECTORY, O_NOFOLLOW and
  // O_CLOEXEC stay (no creation, no truncation, no access mode).
  const opath = (flags & U.O_PATH) !== 0;
  if (opath) flags &= U.O_PATH | U.O_DIRECTORY | U.O_NOFOLLOW | U.O_CLOEXEC;
  // Access mode 3 is legal: a descriptor for neither reading nor writing, which needs
  // both permissions (ACC_MODE) and breaks leases as a writer (__break_lease).
  const acc = flags & U.O_ACCMODE;
  const nd = pathParent(s, p, path, start);
  if (typeof nd === "number") return nd;
  // open_last_lookups: `.`, `..` and "/" are walked; O_CREAT with a trailing slash is
  // EISDIR at once; without O_CREAT a trailing slash asks for a directory.
  let mustDir = (flags & U.O_DIRECTORY) !== 0;
  if (nd.type === LAST_NORM && nd.slash) {
    if (flags & U.O_CREAT) return -EISDIR;
    mustDir = true;
  }
  const d = walkLast(s, nd);
  if (typeof d === "number") return d;
  let created = false;
  let ino = d.k === "file" ? d.ino : d.k === "dir" && d.target.mnt >= 0 ? s.mounts[d.target.mnt]!.root : -1;
  if (d.k === "neg") {
    if (!(flags & U.O_CREAT)) return -ENOENT;
    // lookup_open -> may_o_create: write and search permission on the directory.
    if (!permission(p, dirAttrs(s, d.dir), MAY_WRITE | MAY_EXEC)) return -EACCES;
    if (d.dir.mnt < 0) throw new ModelBug(`${path}: creating a name outside every @fs is not modelled (scripts cannot name one)`);
    const key = dentKey(d.dir, d.name);
    const inode = newInode(s, d.dir.mnt, U.S_IFREG | (mode & 0o7777 & ~UMASK), p.uid, p.gid, key);
    s.dents[key] = inode.ino;
    ino = inode.ino;
    created = true;
  } else if ((flags & (U.O_CREAT | U.O_EXCL)) === (U.O_CREAT | U.O_EXCL)) return -EEXIST;
  // do_open and may_open, on the object's mode and owner (a directory above the mounts has no inode here).
  const attrs = ino >= 0 ? inodeOf(s, ino) : OUTER_DIR;
  const isDir = (attrs.mode & U.S_IFMT) === U.S_IFDIR;
  if (isDir && (flags & U.O_CREAT)) return -EISDIR;
  if (mustDir && !isDir) return -ENOTDIR;
  if (opath) {
    // do_open -> may_open with no access asked (acc_mode 0: no permission needed), then
    // do_dentry_open's O_PATH branch: f_mode FMODE_PATH, empty_fops, and it returns before
    // the open counts and break_lease, so an O_PATH open neither breaks nor blocks a lease.
    if (ino < 0) throw new ModelBug(`${path}: opening a directory outside every @fs is not modelled (scripts cannot name one)`);
    const f = allocFile(s, ino, flags & ~U.O_CLOEXEC, FMODE_PATH);
    installFd(s, p, fd, f.id, (flags & U.O_CLOEXEC) !== 0);
    return fd;
  }
  // may_open: a directory opened for write is EISDIR, before any permission check; O_TRUNC
  // asks for write (build_open_flags).
  if (isDir && (acc !== U.O_RDONLY || (flags & U.O_TRUNC))) return -EISDIR;
  let trunc = (flags & U.O_TRUNC) !== 0 && !created;
  if (!created) {
    // may_open: the access mode, and write for O_TRUNC.
    let mask = 0;
    if (acc !== U.O_WRONLY) mask |= MAY_READ;
    if (acc !== U.O_RDONLY || trunc) mask |= MAY_WRITE;
    if (!permission(p, attrs, mask)) return -EACCES;
    // may_open: O_NOATIME needs the owner or CAP_FOWNER.
    if ((flags & U.O_NOATIME) && p.uid !== attrs.uid && !(p.caps & CAP.FOWNER)) return -EPERM;
  }
  if (isDir) trunc = false;
  // do_dentry_open: O_DIRECT on a file without FMODE_CAN_ODIRECT (a directory here).
  if (isDir && (flags & U.O_DIRECT)) return -EINVAL;
  if (ino < 0) throw new ModelBug(`${path}: opening a directory outside every @fs is not modelled (scripts cannot name one)`);
  const inode = inodeOf(s, ino);
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
      if (r !== BLOCKED) releaseFd(s, p, fd);
      else fdtOf(s, p).fds[fd] = -1;
      return r;
    }
  }
  // fd_install with O_CLOEXEC from the call's flags (f_flags do not keep it).
  installFd(s, p, fd, file, (Number(redo[1]) & U.O_CLOEXEC) !== 0);
  return fd;
}

/** Undoes an open that slept and was interrupted. */
export function abortOpen(s: KState, p: Proc, file: number, fd: number) {
  fput(s, file);
  releaseFd(s, p, fd);
}

/** truncate(2): do_sys_truncate -> vfs_truncate, which breaks leases and waits. */
export function sysTruncate(s: KState, p: Proc, path: string, len: number): number {
  if (len < 0) return -EINVAL;
  const d = pathLookup(s, p, path);
  if (typeof d === "number") return d;
  if (d.k === "dir") return -EISDIR;
  if (d.k !== "file") return -ENOENT;
  const inode = inodeOf(s, d.ino);
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
