// fcntl(2): fs/fcntl.c do_fcntl, with leases from fs/locks.c.
import type { KState, Proc } from "../include/state.js";
import { CAP, FMODE_PATH } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EBADF, EINVAL, EPERM, ESRCH } from "../include/errno.js";
import { fgetRaw, allocFd, installFd, getFile, inodeOf, fileOps, fdtOf } from "./file.js";
import { fcntlGetlease, fcntlSetlease, fcntlSetlayout, fcntlGetlayout } from "../locks/locks.js";
import { procByPid } from "../sched/signal.js";
import { NSIG } from "../include/signal_names.js";

/** check_fcntl_cmd: what an O_PATH descriptor may do; every other command is EBADF on it. */
const PATH_CMDS = new Set([U.F_DUPFD, U.F_DUPFD_CLOEXEC, U.F_GETFD, U.F_SETFD, U.F_GETFL]);

export function sysFcntl(s: KState, p: Proc, fd: number, cmd: number, arg: number): number {
  // SYSCALL_DEFINE3(fcntl): fdget_raw, so O_PATH descriptors get this far.
  const f = fgetRaw(s, p, fd);
  if (f === null) return -EBADF;
  if ((f.fmode & FMODE_PATH) && !PATH_CMDS.has(cmd)) return -EBADF;
  switch (cmd) {
    case U.F_DUPFD:
    case U.F_DUPFD_CLOEXEC: {
      // f_dupfd: the lowest free descriptor >= arg; F_DUPFD_CLOEXEC sets its close-on-exec bit.
      if (arg < 0 || arg >= U.NR_OPEN) return -EINVAL;
      const nfd = allocFd(s, p, arg);
      if (nfd < 0) return nfd;
      getFile(f);
      installFd(s, p, nfd, f.id, cmd === U.F_DUPFD_CLOEXEC);
      return nfd;
    }
    case U.F_GETFD:
      // get_close_on_exec: a bit of the descriptor (its table's), not of the open file.
      return fdtOf(s, p).cloexec[fd] ? U.FD_CLOEXEC : 0;
    case U.F_SETFD:
      // set_close_on_exec(fd, arg & FD_CLOEXEC): other bits are ignored.
      fdtOf(s, p).cloexec[fd] = arg & U.FD_CLOEXEC ? 1 : 0;
      return 0;
    case U.F_GETFL:
      return f.flags;
    case U.F_SETFL: {
      // setfl: O_NOATIME needs ownership or CAP_FOWNER; the rest of SETFL_MASK just changes.
      if ((arg & U.O_NOATIME) && !(f.flags & U.O_NOATIME) && p.uid !== inodeOf(s, f.ino).uid && !(p.caps & CAP.FOWNER)) return -EPERM;
      // setfl: O_DIRECT needs FMODE_CAN_ODIRECT, which only regular files here have.
      if ((arg & U.O_DIRECT) && !fileOps(s, f).odirect) return -EINVAL;
      f.flags = (arg & U.SETFL_MASK) | (f.flags & ~U.SETFL_MASK);
      return 0;
    }
    case U.F_GETOWN:
      return f.owner;
    case U.F_SETOWN: {
      // f_setown(force=1): 0 clears the owner; process groups are not modelled.
      if (arg === 0) { f.owner = 0; f.ownerUid = 0; return 0; }
      const t = procByPid(s, arg);
      if (t === null) return -ESRCH;
      f.owner = arg;
      f.ownerUid = p.uid;
      return 0;
    }
    case U.F_GETSIG:
      return f.signum;
    case U.F_SETSIG:
      // valid_signal: 0 .. _NSIG; the argument is unsigned, so a negative one is huge.
      if (arg < 0 || arg > NSIG) return -EINVAL;
      f.signum = arg;
      return 0;
    case U.F_SETLEASE:
      return fcntlSetlease(s, p, fd, f, arg);
    case U.F_GETLEASE:
      return fcntlGetlease(s, f);
    case U.F_SETLAYOUT:
      return s.pol.setlayout ? fcntlSetlayout(s, p, fd, f, arg) : -EINVAL;
    case U.F_GETLAYOUT:
      return s.pol.setlayout ? fcntlGetlayout(s, f) : -EINVAL;
  }
  return -EINVAL;
}
