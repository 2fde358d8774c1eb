// fcntl(2): fs/fcntl.c do_fcntl, with leases from fs/locks.c.
import type { KState, Proc } from "../include/state.js";
import { CAP } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EBADF, EINVAL, EPERM, ESRCH } from "../include/errno.js";
import { fget, allocFd, installFd, getFile, inodeOf, fileOps } from "./file.js";
import { fcntlGetlease, fcntlSetlease, fcntlSetlayout, fcntlGetlayout } from "../locks/locks.js";
import { procByPid } from "../sched/signal.js";
import { NSIG } from "../include/signal_names.js";

export function sysFcntl(s: KState, p: Proc, fd: number, cmd: number, arg: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  switch (cmd) {
    case U.F_DUPFD:
    case U.F_DUPFD_CLOEXEC: {
      if (arg < 0 || arg >= U.NR_OPEN) return -EINVAL;
      const nfd = allocFd(p, arg);
      if (nfd < 0) return nfd;
      getFile(f);
      installFd(p, nfd, f.id);
      return nfd;
    }
    case U.F_GETFD:
      return 0;
    case U.F_SETFD:
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
