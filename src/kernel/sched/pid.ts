// pidfds (kernel/pid.c pidfd_open, pidfd_getfd; kernel/fork.c pidfd_create): a file naming a
// process, and taking a copy of one of its open files (another way a file travels).
import type { KState, Proc } from "../include/state.js";
import { FK_PIDFD, FMODE_READ, FMODE_WRITE, CAP } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EBADF, EINVAL, EPERM, ESRCH } from "../include/errno.js";
import { allocFd, installFd, getFile, fget } from "../fs/file.js";
import { newInode } from "../fs/inode.js";
import { procByPid, alive } from "./signal.js";
import { procFds } from "../fs/file.js";

/**
 * pidfd_open: flags 0 or PIDFD_NONBLOCK (O_NONBLOCK); a pid with no process is ESRCH (a
 * zombie still has its task: the oracle reaps nobody before the end). The descriptor is
 * always close-on-exec (pidfd_create: O_RDWR | O_CLOEXEC).
 */
export function sysPidfdOpen(s: KState, p: Proc, pid: number, flags: number): number {
  if ((flags & ~U.O_NONBLOCK) !== 0 || pid <= 0) return -EINVAL;
  if (procByPid(s, pid) === null) return -ESRCH;
  const fd = allocFd(s, p, 0);
  if (fd < 0) return fd;
  const inode = newInode(s, -1, 0o600, 0, 0, "pidfd:");
  inode.nlink = 0;
  inode.refs++;
  inode.writecount++; // the model's open counts follow f_mode
  let id = s.files.indexOf(null);
  if (id < 0) id = s.files.length;
  s.files[id] = {
    id, kind: FK_PIDFD, ref: 1, ino: inode.ino, flags: U.O_RDWR | (flags & U.O_NONBLOCK), fmode: FMODE_READ | FMODE_WRITE,
    pos: 0, owner: 0, ownerUid: 0, signum: 0, revoked: false, asyncEvent: -1, sqEntries: 0, obj: pid, sock: null,
  };
  installFd(s, p, fd, id, true);
  return fd;
}

/**
 * __ptrace_may_access with PTRACE_MODE_ATTACH_REALCREDS: the same uid and gid (no setuid
 * programs here) and, by cap_ptrace_access_check, no capability the caller lacks; or
 * CAP_SYS_PTRACE. (The agents are dumpable; Yama, where it is on, lets an ancestor in.)
 */
function ptraceMayAccess(p: Proc, t: Proc): boolean {
  if (p.pid === t.pid) return true;
  if (p.caps & CAP.SYS_PTRACE) return true;
  return p.uid === t.uid && p.gid === t.gid && (t.caps & ~p.caps) === 0;
}

/**
 * pidfd_getfd: flags must be 0; the pidfd (fdget: EBADF, not a pidfd: EBADF); its process,
 * which must not have exited (ESRCH, as the kernel answers for a zombie too); ptrace access
 * (EPERM); the file at `targetfd` (fget_task: EBADF for none; an O_PATH file is given, as
 * the kernel does); installed at the caller's lowest free descriptor, close-on-exec
 * (receive_fd with O_CLOEXEC).
 */
export function sysPidfdGetfd(s: KState, p: Proc, pidfd: number, targetfd: number, flags: number): number {
  if (flags !== 0) return -EINVAL;
  const f = fget(s, p, pidfd);
  if (f === null || f.kind !== FK_PIDFD) return -EBADF;
  const t = procByPid(s, f.obj);
  // get_pid_task finds a zombie too: the ptrace check comes first (__pidfd_fget), and only
  // then does an exiting task without files give ESRCH (PF_EXITING).
  if (t === null) return -ESRCH;
  if (!ptraceMayAccess(p, t)) return -EPERM;
  if (!alive(t)) return -ESRCH;
  const fds = procFds(s, t);
  const id = targetfd >= 0 && targetfd < fds.length ? fds[targetfd]! : -1;
  const file = id >= 0 ? s.files[id]! : null;
  if (file === null) return -EBADF;
  const fd = allocFd(s, p, 0);
  if (fd < 0) return fd;
  getFile(file);
  installFd(s, p, fd, file.id, true);
  return fd;
}
