// close(2), dup(2), dup2(2) and dup3(2) (fs/open.c, fs/file.c).
import type { KState, Proc } from "../include/state.js";
import { BLOCKED } from "../include/state.js";
import { EBADF, EBUSY, EINVAL } from "../include/errno.js";
import { NR_OPEN, O_CLOEXEC } from "../include/uapi.js";
import { fgetRaw, fput, allocFd, installFd, getFile, releaseFd, replaceFd, procFds } from "./file.js";
import { closeWithPins } from "../locks/layout.js";

/** close(2): file_close_fd, then filp_close. O_PATH descriptors close like any other (fdget_raw). */
export function sysClose(s: KState, p: Proc, fd: number): number {
  const f = fgetRaw(s, p, fd);
  if (f === null) return -EBADF;
  releaseFd(s, p, fd);
  // The descriptor is gone either way; the last reference to a leased file with pins may
  // sleep first (sticky, close=block), and only SIGKILL ends that sleep.
  if (f.ref === 1 && closeWithPins(s, f, p) === BLOCKED) return BLOCKED;
  fput(s, f.id);
  return 0;
}

/** dup3(2) (ksys_dup3): only O_CLOEXEC may be asked for; the same fd twice is EINVAL. */
export function sysDup3(s: KState, p: Proc, oldfd: number, newfd: number, flags: number): number {
  if ((flags & ~O_CLOEXEC) !== 0) return -EINVAL;
  if (oldfd === newfd) return -EINVAL;
  return doDup2(s, p, oldfd, newfd, (flags & O_CLOEXEC) !== 0);
}

/** dup2(2): dup3 without flags, except that the same fd twice is itself (if open). */
export function sysDup2(s: KState, p: Proc, oldfd: number, newfd: number): number {
  if (oldfd === newfd) return fgetRaw(s, p, oldfd) === null ? -EBADF : newfd;
  return doDup2(s, p, oldfd, newfd, false);
}

/** do_dup2: the new descriptor gets the close-on-exec bit asked for (none for dup2); what it held is closed. */
function doDup2(s: KState, p: Proc, oldfd: number, newfd: number, cloexec: boolean): number {
  if (newfd < 0 || newfd >= NR_OPEN) return -EBADF;
  const f = fgetRaw(s, p, oldfd);
  if (f === null) return -EBADF;
  // A slot another user of a shared table has reserved for an open in progress.
  if (procFds(s, p)[newfd] === -2) return -EBUSY;
  getFile(f);
  const old = replaceFd(s, p, newfd, f.id, cloexec);
  if (old >= 0) fput(s, old);
  return newfd;
}

/** dup(2): the lowest free descriptor, without close-on-exec. */
export function sysDup(s: KState, p: Proc, fd: number): number {
  const f = fgetRaw(s, p, fd);
  if (f === null) return -EBADF;
  const nfd = allocFd(s, p, 0);
  if (nfd < 0) return nfd;
  getFile(f);
  installFd(s, p, nfd, f.id);
  return nfd;
}
