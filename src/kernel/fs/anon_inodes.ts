// Files with no data of a mount: the RDMA context (a character device outside every mount)
// and io_uring instances (fs/anon_inodes.c anon_inode_create_getfile).
import type { KState, Proc, Inode } from "../include/state.js";
import { FK_IO_URING, FMODE_READ, FMODE_WRITE } from "../include/state.js";
import { O_RDWR, O_LARGEFILE, S_IFCHR } from "../include/uapi.js";
import { allocFd, installFd, allocFile, releaseFd } from "./file.js";
import { FMODE_PATH } from "../include/state.js";
import { O_PATH, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC } from "../include/uapi.js";
import { ENOTDIR } from "../include/errno.js";
import { newInode } from "./inode.js";

/** open("/dev/infiniband/uverbs0") and io_uring_setup: a file with no data, on an inode outside every mount. */
export function openSpecial(s: KState, p: Proc, kind: number, path: string, cloexec = false): number {
  const fd = allocFd(s, p, 0);
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
  s.files[id] = { id, kind, ref: 1, ino: inode.ino, flags, fmode: FMODE_READ | FMODE_WRITE, pos: 0, owner: 0, ownerUid: 0, signum: 0, revoked: false, asyncEvent: -1, sqEntries: 0, obj: -1, sock: null };
  inode.refs++;
  inode.writecount++;
  installFd(s, p, fd, id, cloexec);
  return fd;
}

/** open(device, O_PATH): a descriptor naming the device node, with no device opened (build_open_how, do_dentry_open). */
export function openPathOfDevice(s: KState, p: Proc, path: string, flags: number): number {
  const inode = s.inodes.find((i) => i !== null && i.mnt < 0 && i.path === path && i.nlink > 0) ?? null;
  if (inode === null) { const made = newInode(s, -1, S_IFCHR | 0o666, 0, 0, path); made.refs = 1; return openPathOfDevice(s, p, path, flags); }
  // do_sys_openat2: get_unused_fd_flags (EMFILE) before the walk's LOOKUP_DIRECTORY (ENOTDIR).
  const fd = allocFd(s, p, 0);
  if (fd < 0) return fd;
  if (flags & O_DIRECTORY) { releaseFd(s, p, fd); return -ENOTDIR; }
  const f = allocFile(s, inode.ino, flags & (O_PATH | O_NOFOLLOW), FMODE_PATH);
  installFd(s, p, fd, f.id, (flags & O_CLOEXEC) !== 0);
  return fd;
}
