// struct file and the descriptor table (fs/file.c, fs/file_table.c).
import type { KState, OpenFile, Proc, Inode, FdTable } from "../include/state.js";
import { FMODE_READ, FMODE_WRITE, FMODE_PATH, FK_INODE, FK_IO_URING, FK_UVERBS, FK_SOCKET, FK_PIDFD } from "../include/state.js";
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
// socket_file_ops: read_iter and write_iter (sock_read_iter, sock_write_iter); stream_open-like
// (sock_alloc_file leaves out FMODE_PREAD); no ->fsync.
const SOCKET: FileOps = { read: true, write: true, fsync: false, pread: false, odirect: false };
// pidfd_fops: neither read nor write nor fsync.
const PIDFD: FileOps = { read: false, write: false, fsync: false, pread: false, odirect: false };

export function fileOps(s: KState, f: OpenFile): FileOps {
  if (f.kind === FK_IO_URING) return IO_URING;
  if (f.kind === FK_UVERBS) return UVERBS;
  if (f.kind === FK_SOCKET) return SOCKET;
  if (f.kind === FK_PIDFD) return PIDFD;
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

/** The process's descriptor table (current->files). */
export function fdtOf(s: KState, p: Proc): FdTable {
  const t = p.fdt >= 0 ? s.fdts[p.fdt] : null;
  assert(t, `${p.name} has a descriptor table`);
  return t;
}

/** The file ids of a process's descriptors (-1 free, -2 reserved); none once it has exited. */
export function procFds(s: KState, p: Proc): readonly number[] {
  return p.fdt >= 0 ? s.fdts[p.fdt]!.fds : NO_FDS;
}
const NO_FDS: readonly number[] = [];

/** Whether a descriptor of `p` refers to file `id`. */
export function holdsFile(s: KState, p: Proc, id: number): boolean {
  return id >= 0 && procFds(s, p).includes(id);
}

/** fget_raw (fdget_raw): the file behind a descriptor, O_PATH ones included, or null (EBADF). */
export function fgetRaw(s: KState, p: Proc, fd: number): OpenFile | null {
  const fds = procFds(s, p);
  if (fd < 0 || fd >= fds.length) return null;
  const id = fds[fd]!;
  return id >= 0 ? s.files[id]! : null;
}

/** fget: the same, but an O_PATH descriptor (FMODE_PATH) is EBADF, as __fget_files' mask has it. */
export function fget(s: KState, p: Proc, fd: number): OpenFile | null {
  const f = fgetRaw(s, p, fd);
  return f !== null && (f.fmode & FMODE_PATH) === 0 ? f : null;
}

/** A new descriptor table (alloc_files_struct), used by `users` processes. */
export function newFdTable(s: KState, fds: number[], cloexec: number[]): number {
  let id = s.fdts.indexOf(null);
  if (id < 0) id = s.fdts.length;
  s.fdts[id] = { id, users: 1, fds, cloexec };
  return id;
}

/**
 * dup_fd: a copy of a table for a child (fork) or an execve that unshares it. Every file
 * gains a reference; a slot reserved by an open still in progress is free in the copy.
 */
export function dupFdTable(s: KState, from: FdTable): number {
  const fds = from.fds.map((id) => (id === -2 ? -1 : id));
  const cloexec = from.cloexec.map((c, fd) => (fds[fd] === -1 ? 0 : c));
  for (const id of fds) if (id >= 0) getFile(fileOf(s, id));
  while (fds.length > 0 && fds[fds.length - 1] === -1) { fds.pop(); cloexec.pop(); }
  return newFdTable(s, fds, cloexec);
}

/** put_files_struct: the last user closes every descriptor; the process has no table after. */
export function exitFiles(s: KState, p: Proc) {
  if (p.fdt < 0) return;
  const t = fdtOf(s, p);
  p.fdt = -1;
  if (--t.users > 0) return;
  for (const id of t.fds) if (id >= 0) fput(s, id);
  s.fdts[t.id] = null;
  while (s.fdts.length > 0 && s.fdts[s.fdts.length - 1] === null) s.fdts.pop();
}

/** alloc_fd: the lowest free descriptor >= start, reserved; -EMFILE when none. */
export function allocFd(s: KState, p: Proc, start: number): number {
  const t = fdtOf(s, p);
  for (let fd = start; fd < NR_OPEN; fd++) {
    if (fd >= t.fds.length) {
      while (t.fds.length < fd) { t.fds.push(-1); t.cloexec.push(0); }
      t.fds.push(-2);
      t.cloexec.push(0);
      return fd;
    }
    if (t.fds[fd] === -1) { t.fds[fd] = -2; return fd; }
  }
  return -EMFILE;
}

/** fd_install, with the close-on-exec bit the caller asked for (O_CLOEXEC, F_DUPFD_CLOEXEC, ...). */
export function installFd(s: KState, p: Proc, fd: number, file: number, cloexec = false) {
  const t = fdtOf(s, p);
  assert(t.fds[fd] === -2, `fd ${fd} of ${p.name} reserved before install`);
  t.fds[fd] = file;
  t.cloexec[fd] = cloexec ? 1 : 0;
}

/** Frees a descriptor slot (put_unused_fd, or the end of close): its close-on-exec bit goes with it. */
export function releaseFd(s: KState, p: Proc, fd: number) {
  const t = fdtOf(s, p);
  t.fds[fd] = -1;
  t.cloexec[fd] = 0;
  while (t.fds.length > 0 && t.fds[t.fds.length - 1] === -1) { t.fds.pop(); t.cloexec.pop(); }
}

/** Points descriptor `fd` at `file` (do_dup2's slot, grown as needed); returns what it held before (-1 none). */
export function replaceFd(s: KState, p: Proc, fd: number, file: number, cloexec: boolean): number {
  const t = fdtOf(s, p);
  while (t.fds.length <= fd) { t.fds.push(-1); t.cloexec.push(0); }
  const old = t.fds[fd]!;
  t.fds[fd] = file;
  t.cloexec[fd] = cloexec ? 1 : 0;
  return old;
}

/** alloc_file + do_dentry_open's counting: the open counts as an opener from here on. */
export function allocFile(s: KState, ino: number, flags: number, fmode: number): OpenFile {
  let id = s.files.indexOf(null);
  if (id < 0) id = s.files.length;
  const f: OpenFile = { id, kind: FK_INODE, ref: 1, ino, flags, fmode, pos: 0, owner: 0, ownerUid: 0, signum: 0, revoked: false, asyncEvent: -1, sqEntries: 0, obj: -1, sock: null };
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
