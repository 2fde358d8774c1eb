// struct file and the descriptor table (fs/file.c, fs/file_table.c).
import type { KState, OpenFile, Proc, Inode } from "../include/state.js";
import { FMODE_READ, FMODE_WRITE, FK_INODE, FK_IO_URING, FK_UVERBS } from "../include/state.js";
import { assert } from "../include/assert.js";
import { NR_OPEN, S_IFMT, S_IFREG, S_IFDIR } from "../include/uapi.js";
import { EMFILE } from "../include/errno.js";

/**
 * What a file's file_operations and f_mode give the VFS checks, in one place:
 * read/write (->read_iter or ->write: vfs_read and vfs_write are EINVAL without one),
 * fsync (->fsync: vfs_fsync_range is EINVAL without it), pread (FMODE_PREAD/PWRITE:
 * ksys_pread64 is ESPIPE without it) and odirect (FMODE_CAN_ODIRECT).
 */
export interface FileOps { read: boolean; write: boolean; fsync: boolean; pread: boolean; odirect: boolean }

const REGULAR: FileOps = { read: true, write: true, fsync: true, pread: true, odirect: true }; // ext4, xfs, tmpfs (6.6+)
const DIRECTORY: FileOps = { read: true, write: true, fsync: true, pread: true, odirect: false }; // reads are EISDIR first
const DEV_NULL: FileOps = { read: true, write: true, fsync: false, pread: true, odirect: false };
const IO_URING: FileOps = { read: false, write: false, fsync: false, pread: false, odirect: false }; // anon inode file
// ib_uverbs_fops has ->write, but the model parses no uverbs commands: every write fails, as a
// short or malformed command does (EINVAL); stream_open clears FMODE_PREAD.
const UVERBS: FileOps = { read: false, write: false, fsync: false, pread: false, odirect: false };

export function fileOps(s: KState, f: OpenFile): FileOps {
  if (f.kind === FK_IO_URING) return IO_URING;
  if (f.kind === FK_UVERBS) return UVERBS;
  const type = inodeOf(s, f.ino).mode & S_IFMT;
  return type === S_IFREG ? REGULAR : type === S_IFDIR ? DIRECTORY : DEV_NULL;
}

export function inodeOf(s: KState, ino: number): Inode {
  const i = s.inodes[ino];
  assert(i, `inode ${ino} is live`);
  return i;
}

export function fileOf(s: KState, id: number): OpenFile {
  const f = s.files[id];
  assert(f, `file ${id} is live`);
  return f;
}

/** fget: the file behind a descriptor, or null (EBADF). */
export function fget(s: KState, p: Proc, fd: number): OpenFile | null {
  if (fd < 0 || fd >= p.fds.length) return null;
  const id = p.fds[fd]!;
  return id >= 0 ? s.files[id]! : null;
}

/** alloc_fd: the lowest free descriptor >= start, reserved; -EMFILE when none. */
export function allocFd(p: Proc, start: number): number {
  for (let fd = start; fd < NR_OPEN; fd++) {
    if (fd >= p.fds.length) {
      while (p.fds.length < fd) p.fds.push(-1);
      p.fds.push(-2);
      return fd;
    }
    if (p.fds[fd] === -1) { p.fds[fd] = -2; return fd; }
  }
  return -EMFILE;
}

export function installFd(p: Proc, fd: number, file: number) {
  assert(p.fds[fd] === -2, `fd ${fd} of ${p.name} reserved before install`);
  p.fds[fd] = file;
}

export function releaseFd(p: Proc, fd: number) {
  p.fds[fd] = -1;
  while (p.fds.length > 0 && p.fds[p.fds.length - 1] === -1) p.fds.pop();
}

/** alloc_file + do_dentry_open's counting: the open counts as an opener from here on. */
export function allocFile(s: KState, ino: number, flags: number, fmode: number): OpenFile {
  let id = s.files.indexOf(null);
  if (id < 0) id = s.files.length;
  const f: OpenFile = { id, kind: FK_INODE, ref: 1, ino, flags, fmode, pos: 0, owner: 0, ownerUid: 0, signum: 0, revoked: false, asyncEvent: -1, sqEntries: 0 };
  s.files[id] = f;
  const inode = inodeOf(s, ino);
  inode.refs++;
  // do_dentry_open: write access is taken, and a read-only open counted, before break_lease.
  if (fmode & FMODE_WRITE) inode.writecount++;
  else if (fmode & FMODE_READ) inode.readcount++;
  return f;
}

export function getFile(f: OpenFile) {
  assert(f.ref > 0, "get_file on a dead file");
  f.ref++;
}

/**
 * fput: the last reference queues the file for __fput (fs/file_table.c), which runs before
 * the call returns to user space (task work), in file_table.ts.
 */
export function fput(s: KState, id: number) {
  const f = fileOf(s, id);
  assert(f.ref > 0, `fput of file ${id} with ref ${f.ref}`);
  if (--f.ref > 0) return;
  s.delayedFput.push(id);
}

/** Frees the slot of a released file and drops what it held of its inode (the end of __fput). */
export function fileFree(s: KState, f: OpenFile): Inode {
  const inode = inodeOf(s, f.ino);
  // put_file_access
  if (f.fmode & FMODE_WRITE) inode.writecount--;
  else if (f.fmode & FMODE_READ) inode.readcount--;
  assert(inode.writecount >= 0 && inode.readcount >= 0, `open counts of inode ${inode.ino}`);
  s.files[f.id] = null;
  while (s.files.length > 0 && s.files[s.files.length - 1] === null) s.files.pop();
  return inode;
}
