// close(2), dup(2) and dup2(2) (fs/open.c, fs/file.c).
import type { KState, Proc } from "../include/state.js";
import { BLOCKED } from "../include/state.js";
import { EBADF } from "../include/errno.js";
import { NR_OPEN } from "../include/uapi.js";
import { fget, fput, allocFd, installFd, getFile, releaseFd } from "./file.js";
import { closeWithPins } from "../locks/layout.js";

export function sysClose(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  releaseFd(p, fd);
  // The descriptor is gone either way; the last reference to a leased file with pins may
  // sleep first (sticky, close=block), and only SIGKILL ends that sleep.
  if (f.ref === 1 && closeWithPins(s, f, p) === BLOCKED) return BLOCKED;
  fput(s, f.id);
  return 0;
}

export function sysDup2(s: KState, p: Proc, oldfd: number, newfd: number): number {
  const f = fget(s, p, oldfd);
  if (f === null || newfd < 0 || newfd >= NR_OPEN) return -EBADF;
  if (oldfd === newfd) return newfd;
  const old = fget(s, p, newfd);
  while (p.fds.length <= newfd) p.fds.push(-1);
  getFile(f);
  p.fds[newfd] = f.id;
  if (old !== null) fput(s, old.id);
  return newfd;
}

export function sysDup(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  const nfd = allocFd(p, 0);
  if (nfd < 0) return nfd;
  getFile(f);
  installFd(p, nfd, f.id);
  return nfd;
}
