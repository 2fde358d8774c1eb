// SCM_RIGHTS: descriptors passed in a message (net/core/scm.c). A file in flight is held by
// the message (the skb's scm_fp_list), not by any process: no descriptor table has it.
import type { KState, Proc } from "../include/state.js";
import { FK_IO_URING } from "../include/state.js";
import { EBADF, EINVAL } from "../include/errno.js";
import { SCM_MAX_FD } from "../include/uapi.js";
import { fgetRaw, getFile, fput, allocFd, installFd } from "../fs/file.js";

/**
 * scm_fp_copy: a reference on the file of each descriptor (fget_raw, so O_PATH descriptors
 * travel too); EBADF for a bad one, EINVAL for an io_uring (io_is_uring_fops) or more than
 * SCM_MAX_FD. On an error the references taken so far go (scm_destroy).
 */
export function scmFpCopy(s: KState, p: Proc, fds: readonly number[]): number[] | number {
  if (fds.length > SCM_MAX_FD) return -EINVAL;
  const out: number[] = [];
  for (const fd of fds) {
    const f = fd >= 0 ? fgetRaw(s, p, fd) : null;
    const err = f === null ? -EBADF : f.kind === FK_IO_URING ? -EINVAL : 0;
    if (err < 0) {
      scmDestroy(s, out);
      return err;
    }
    getFile(f!);
    out.push(f!.id);
  }
  return out;
}

/** __scm_destroy: the message's references go (a file whose last one it was is released). */
export function scmDestroy(s: KState, files: readonly number[]) {
  for (const id of files) fput(s, id);
}

/**
 * scm_detach_fds: each file gets the lowest free descriptor (receive_fd: get_unused_fd_flags,
 * with O_CLOEXEC for MSG_CMSG_CLOEXEC, then fd_install), in order; the message's reference
 * then goes (__scm_destroy), so the descriptor's is the file's only new one. When no
 * descriptor is free the rest are dropped (MSG_CTRUNC). Returns the descriptors installed.
 */
export function scmDetachFds(s: KState, p: Proc, files: readonly number[], cloexec: boolean): number[] {
  const fds: number[] = [];
  for (const id of files) {
    const fd = allocFd(s, p, 0);
    if (fd < 0) break;
    getFile(s.files[id]!);
    installFd(s, p, fd, id, cloexec);
    fds.push(fd);
  }
  scmDestroy(s, files);
  return fds;
}
