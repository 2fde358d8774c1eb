// AF_UNIX socketpairs (net/unix/af_unix.c, net/socket.c): the way a file travels between
// processes with no descriptor held on the way (SCM_RIGHTS, net/core/scm.c in scm.ts).
// SOCK_STREAM and SOCK_DGRAM; no addresses (socketpair only), no MSG_PEEK, no unix_gc (a
// socket sent over itself and closed keeps its files until unix_gc, which is not modelled).
import type { KState, Proc, OpenFile, Sock } from "../include/state.js";
import { FK_SOCKET, FMODE_READ, FMODE_WRITE, BLOCKED } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EAGAIN, EBADF, ECONNREFUSED, ECONNRESET, EINVAL, ENOTCONN, ENOTSOCK, EPIPE, EPROTONOSUPPORT } from "../include/errno.js";
import { allocFd, installFd, releaseFd, fget } from "../fs/file.js";
import { newInode } from "../fs/inode.js";
import { newWait } from "../locks/locks.js";
import { sendSignal } from "../sched/signal.js";
import { SIGPIPE } from "../include/signal_names.js";
import { scmFpCopy, scmDestroy, scmDetachFds } from "./scm.js";

/** The survivor's unix_peer once its peer is released: a SOCK_DEAD sock, not NULL. */
const DEAD_PEER = -2;
/** RCV_SHUTDOWN | SEND_SHUTDOWN (SHUTDOWN_MASK). */
const SHUTDOWN_MASK = 3, SEND_SHUTDOWN = 2, RCV_SHUTDOWN = 1;

/** sock_alloc_file: a socket's file on an inode of its own (sockfs), O_RDWR plus O_NONBLOCK. */
function sockAllocFile(s: KState, p: Proc, type: number, nonblock: boolean): OpenFile {
  const inode = newInode(s, -1, U.S_IFSOCK | 0o777, p.uid, p.gid, "socket:");
  inode.nlink = 0;
  inode.refs++;
  inode.writecount++; // the model's open counts follow f_mode (fileFree drops them)
  let id = s.files.indexOf(null);
  if (id < 0) id = s.files.length;
  const sock: Sock = { type, peer: -1, shut: 0, err: 0, queue: [] };
  const f: OpenFile = {
    id, kind: FK_SOCKET, ref: 1, ino: inode.ino, flags: U.O_RDWR | (nonblock ? U.O_NONBLOCK : 0), fmode: FMODE_READ | FMODE_WRITE,
    pos: 0, owner: 0, ownerUid: 0, signum: 0, revoked: false, asyncEvent: -1, sqEntries: 0, obj: -1, sock,
  };
  s.files[id] = f;
  return f;
}

/**
 * __sys_socketpair: two descriptors first (get_unused_fd_flags), then the sockets
 * (unix_create: a protocol other than 0 or PF_UNIX is EPROTONOSUPPORT), joined (unix_socketpair).
 * Returns 0 and the descriptors, or -errno.
 */
export function sysSocketpair(s: KState, p: Proc, family: number, type: number, protocol: number): { ret: number; fds?: [number, number] } {
  const flags = type & ~U.SOCK_TYPE_MASK;
  type &= U.SOCK_TYPE_MASK;
  if (flags & ~(U.SOCK_CLOEXEC | U.SOCK_NONBLOCK)) return { ret: -EINVAL };
  const fd1 = allocFd(s, p, 0);
  if (fd1 < 0) return { ret: fd1 };
  const fd2 = allocFd(s, p, 0);
  if (fd2 < 0) { releaseFd(s, p, fd1); return { ret: fd2 }; }
  let err = 0;
  if (family !== U.AF_UNIX) err = -EINVAL; // the parser admits AF_UNIX only
  else if (protocol !== 0 && protocol !== U.AF_UNIX) err = -EPROTONOSUPPORT;
  else if (type !== U.SOCK_STREAM && type !== U.SOCK_DGRAM) err = -EINVAL; // the parser admits these only
  if (err < 0) { releaseFd(s, p, fd2); releaseFd(s, p, fd1); return { ret: err }; }
  const a = sockAllocFile(s, p, type, (flags & U.SOCK_NONBLOCK) !== 0);
  const b = sockAllocFile(s, p, type, (flags & U.SOCK_NONBLOCK) !== 0);
  a.sock!.peer = b.id;
  b.sock!.peer = a.id;
  installFd(s, p, fd1, a.id, (flags & U.SOCK_CLOEXEC) !== 0);
  installFd(s, p, fd2, b.id, (flags & U.SOCK_CLOEXEC) !== 0);
  return { ret: 0, fds: [fd1, fd2] };
}

/** sockfd_lookup_light: fdget (an O_PATH descriptor is EBADF), then sock_from_file (ENOTSOCK). */
function sockLookup(s: KState, p: Proc, fd: number): OpenFile | number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  return f.sock === null ? -ENOTSOCK : f;
}

/**
 * sendmsg(2) and write(2) on a socket: unix_stream_sendmsg / unix_dgram_sendmsg. The files
 * (scm_send) are taken first; a stream sends them with its first byte, so an empty stream
 * message sends none. `fds` null: no SCM_RIGHTS message.
 */
export function unixSendmsg(s: KState, p: Proc, fd: number, data: string, fds: readonly number[] | null, flags: number): number {
  const f = sockLookup(s, p, fd);
  if (typeof f === "number") return f;
  const k = f.sock!;
  const files = fds === null ? [] : scmFpCopy(s, p, fds);
  if (typeof files === "number") return files;
  const done = (ret: number) => { scmDestroy(s, files); return ret; };
  if (k.type === U.SOCK_STREAM) {
    if (k.peer === -1) return done(-ENOTCONN);
    const other = k.peer >= 0 ? s.files[k.peer]!.sock! : null;
    // pipe_err: SIGPIPE unless MSG_NOSIGNAL, and EPIPE.
    if ((k.shut & SEND_SHUTDOWN) || other === null || (other.shut & RCV_SHUTDOWN)) {
      if (!(flags & U.MSG_NOSIGNAL)) sendSignal(s, p, { signo: SIGPIPE, code: 0, fd: 0, band: 0 });
      return done(-EPIPE);
    }
    if (data.length === 0) return done(0);
    other.queue.push({ data, files, pid: p.pid });
    return data.length;
  }
  // unix_dgram_sendmsg: a connected peer (ENOTCONN without), alive (else ECONNREFUSED, once:
  // the peer pointer is cleared, unix_dgram_disconnected).
  if (k.peer === -1) return done(-ENOTCONN);
  if (k.peer === DEAD_PEER) { k.peer = -1; return done(-ECONNREFUSED); }
  const other = s.files[k.peer]!.sock!;
  other.queue.push({ data, files, pid: p.pid });
  return data.length;
}

/** The result of a receive: a count or -errno (or BLOCKED), the bytes, the descriptors installed. */
export interface RecvResult { ret: number; data: string; fds: number[] }

/**
 * recvmsg(2) and read(2) on a socket (unix_stream_read_generic, unix_dgram_recvmsg). A stream
 * read takes bytes of consecutive messages of one sender (unix_skb_scm_eq) and stops after
 * one that carried files; a datagram is read whole, the rest of it cut (MSG_TRUNC). Files
 * go to the receiver's table (scm_detach_fds) when it gave room for them (`control`),
 * else they are dropped (MSG_CTRUNC). An empty queue: the error (sock_error, once), end of
 * file after the peer's shutdown, EAGAIN without waiting, else the call sleeps.
 */
export function unixRecvmsg(s: KState, p: Proc, fd: number, size: number, flags: number, control: boolean, call: string, args: (number | string)[]): RecvResult {
  const f = sockLookup(s, p, fd);
  if (typeof f === "number") return { ret: f, data: "", fds: [] };
  const k = f.sock!;
  if (f.flags & U.O_NONBLOCK) flags |= U.MSG_DONTWAIT; // ____sys_recvmsg
  if (k.queue.length === 0) {
    if (k.err !== 0) { const e = k.err; k.err = 0; return { ret: -e, data: "", fds: [] }; }
    if (k.shut & RCV_SHUTDOWN) return { ret: 0, data: "", fds: [] };
    if (flags & U.MSG_DONTWAIT) return { ret: -EAGAIN, data: "", fds: [] };
    p.wait = Object.assign(newWait("sock", -1), { fd, call, args: args.slice() });
    return { ret: BLOCKED, data: "", fds: [] };
  }
  let data = "";
  let files: number[] = [];
  if (k.type === U.SOCK_DGRAM) {
    const m = k.queue.shift()!;
    data = m.data.slice(0, size);
    files = m.files;
  } else {
    const from = k.queue[0]!.pid;
    while (k.queue.length > 0 && data.length < size) {
      const m = k.queue[0]!;
      if (m.pid !== from) break;
      const chunk = m.data.slice(0, size - data.length);
      data += chunk;
      m.data = m.data.slice(chunk.length);
      // unix_detach_fds with the first bytes read of the message.
      const had = m.files.length > 0;
      if (had) { files = m.files; m.files = []; }
      if (m.data.length > 0) break;
      k.queue.shift();
      if (had) break;
    }
  }
  const ret = data.length;
  const fds = control ? scmDetachFds(s, p, files, (flags & U.MSG_CMSG_CLOEXEC) !== 0) : (scmDestroy(s, files), []);
  return { ret, data, fds };
}

/** Can a receive sleeping on descriptor `fd` go on: a message, an error or a shutdown? */
export function unixReadable(s: KState, p: Proc, fd: number): boolean {
  const f = fget(s, p, fd);
  if (f === null || f.sock === null) return true;
  const k = f.sock;
  return k.queue.length > 0 || k.err !== 0 || (k.shut & RCV_SHUTDOWN) !== 0;
}

/**
 * unix_release_sock, from the socket file's __fput: a stream peer is shut down both ways,
 * with ECONNRESET if this end left bytes unread; the peer keeps a pointer to the dead sock
 * (a datagram peer's next send is ECONNREFUSED); the queue is purged and the files in flight
 * in it go (unix_destruct_scm -> scm_destroy).
 */
export function unixReleaseSock(s: KState, f: OpenFile) {
  const k = f.sock!;
  if (k.peer >= 0) {
    const other = s.files[k.peer]!.sock!;
    if (k.type === U.SOCK_STREAM) {
      other.shut = SHUTDOWN_MASK;
      if (k.queue.length > 0) other.err = ECONNRESET;
    }
    other.peer = DEAD_PEER;
  }
  k.peer = -1;
  const q = k.queue;
  k.queue = [];
  for (const m of q) scmDestroy(s, m.files);
}
