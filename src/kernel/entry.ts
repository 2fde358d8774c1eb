// The way into the kernel: a process's system call (arch/x86/entry, one function per call,
// taking resolved arguments and returning what the kernel returns: a value or -errno), a
// sleeper that wakes and carries on (or restarts its call, as after -ERESTARTSYS), a process
// that dies of a fatal signal, and time running out. Each ends with the task work (__fput)
// that the kernel runs before returning to user space.
import type { KState, Proc } from "./include/state.js";
import { PState, BLOCKED, FK_UVERBS } from "./include/state.js";
import { EBADF, EINVAL, EINTR, ENOENT } from "./include/errno.js";
import * as U from "./include/uapi.js";
import { fget, fput } from "./fs/file.js";
import { taskWork } from "./fs/file_table.js";
import { sysClose, sysDup, sysDup2 } from "./fs/fd.js";
import { sysOpen, sysTruncate, finishOpen, finishTruncate, startDir } from "./fs/open.js";
import { sysFcntl } from "./fs/fcntl.js";
import { sysIoctl } from "./fs/remap_range.js";
import { sysMmap, sysMunmap } from "./mm/mmap.js";
import { sysRead, sysWrite, sysFtruncate, sysFallocate, sysFsync } from "./fs/read_write.js";
import { sysUnlink, sysRename } from "./fs/dir.js";
import { sysKill } from "./sched/signal.js";
import { doExit, sysFork, abortWait, fireTimers } from "./sched/exit.js";
import { catProc, lsofLines, rdmaLines } from "./fs/proc.js";
import { sysRmmod, sysRevokeContext, sysRevokeFile, ibvGetAsyncEvent } from "./rdma/disassociate.js";
import { catMemoryBlock, sysMemoryOffline, blockPinned } from "./mm/memory_hotplug.js";
import { procByPid } from "./sched/signal.js";
import { openSpecial, openPathOfDevice } from "./fs/anon_inodes.js";
import { breakLeaseResume } from "./locks/locks.js";
import { pinnedInRange } from "./locks/layout.js";
import { UVERBS_PATH, ibvAllocPd, ibvDeallocPd, ibvRegMr, ibvDeregMr, nicWrite, nicRead } from "./rdma/verbs.js";
import { ioUringSetup, ioUringRegisterBuffers, ioUringUnregisterBuffers, ioUringRwFixed } from "./io_uring/rsrc.js";
import { assert } from "./include/assert.js";
import { trace } from "./trace.js";
import { sysExecve } from "./fs/exec.js";
import { sysPidfdOpen, sysPidfdGetfd } from "./sched/pid.js";
import { sysSocketpair, unixSendmsg, unixRecvmsg, unixReadable } from "./net/af_unix.js";

export type SysArg = number | string;
/** What a call returned: `ret` is a value, -errno, BLOCKED (asleep) or DIED (it never returns). */
export interface SysResult { ret: number; data?: string; lines?: string[]; fds?: number[] }
/** The child a fork makes: its name and the pid the machine gives it. */
export interface ForkChild { name: string; pid: number }

const n = (a: SysArg | undefined): number => (typeof a === "number" ? a : 0);
const str = (a: SysArg | undefined): string => (typeof a === "string" ? a : "");

/**
 * A process's call. It returns its result, or BLOCKED when it sleeps; a process with a fatal
 * signal pending when its call ends (it killed itself, say) dies before returning: DIED.
 */
export function syscall(s: KState, p: Proc, name: string, a: SysArg[], child?: ForkChild): SysResult {
  assert(p.state === PState.Running && p.wait === null, `${p.name} makes a call while not running`);
  p.sigpend = 0;
  const r = dispatch(s, p, name, a, child);
  // exit_to_user_mode: the task work first (it may signal, e.g. close=sigkill), then the signals.
  taskWork(s);
  if (p.state === PState.Running) {
    if (r.ret === BLOCKED) { p.state = PState.Blocked; trace("block"); }
    else if (p.fatal !== 0) { doExit(s, p, PState.Killed, p.fatal); taskWork(s); r.ret = DIED; }
    else p.sigpend = 0; // back in user space: the caught signals are delivered
  } else if (p.state !== PState.Blocked) r.ret = DIED; // exit(2)
  return r;
}

/** Marks a call that never returns: its process died in it (strace's `= ?`). */
export const DIED = -0x7ffffffe;

/** The body of a call: also what a sleeper whose call must start over runs again. */
export function dispatch(s: KState, p: Proc, name: string, a: SysArg[], child?: ForkChild): SysResult {
  switch (name) {
    // do_dentry_open: the RDMA context has no FMODE_CAN_ODIRECT.
    case "open":
      if (str(a[0]) !== UVERBS_PATH) return { ret: sysOpen(s, p, str(a[0]), n(a[1]), n(a[2])) };
      // An O_PATH descriptor of the device node opens no context (do_dentry_open returns first).
      if (n(a[1]) & U.O_PATH) return { ret: openPathOfDevice(s, p, UVERBS_PATH, n(a[1])) };
      return { ret: n(a[1]) & U.O_DIRECT ? -EINVAL : openSpecial(s, p, FK_UVERBS, UVERBS_PATH, (n(a[1]) & U.O_CLOEXEC) !== 0) };
    case "openat": return { ret: sysOpen(s, p, str(a[1]), n(a[2]), n(a[3]), startDir(s, p, n(a[0]), str(a[1]))) };
    case "close": return { ret: sysClose(s, p, n(a[0])) };
    case "dup": return { ret: sysDup(s, p, n(a[0])) };
    case "dup2": return { ret: sysDup2(s, p, n(a[0]), n(a[1])) };
    case "fork": assert(child !== undefined, "fork names its child"); return { ret: sysFork(s, p, child.name, child.pid) };
    // clone without a new stack (the child carries on as fork's does): CLONE_FILES shares the table.
    case "clone": assert(child !== undefined, "clone names its child"); return { ret: sysFork(s, p, child.name, child.pid, n(a[0])) };
    case "exit": doExit(s, p, PState.Exited, n(a[0]) & 0xff); return { ret: DIED };
    case "kill": return { ret: sysKill(s, p, n(a[0]), n(a[1])) };
    // sock_read_iter / sock_write_iter: a socket's read and write are a receive and a send
    // without control messages (files in flight with the bytes are dropped), no flags but
    // the file's O_NONBLOCK, and an empty transfer returns 0 at once (after vfs_read's checks).
    case "read": {
      if (isSock(s, p, n(a[0])) && n(a[2]) > 0) return sockRecv(s, p, n(a[0]), n(a[2]), 0, false, name, a);
      const x = sysRead(s, p, n(a[0]), n(a[2]), null);
      return { ret: x.ret, data: x.data };
    }
    case "write":
      if (isSock(s, p, n(a[0])) && n(a[2]) > 0) return { ret: unixSendmsg(s, p, n(a[0]), str(a[1]).slice(0, n(a[2])), null, 0) };
      return { ret: sysWrite(s, p, n(a[0]), str(a[1]).slice(0, n(a[2])), null) };
    case "pread": case "pread64": { const x = sysRead(s, p, n(a[0]), n(a[2]), n(a[3])); return { ret: x.ret, data: x.data }; }
    case "pwrite": case "pwrite64": return { ret: sysWrite(s, p, n(a[0]), str(a[1]).slice(0, n(a[2])), n(a[3])) };
    case "truncate": return { ret: sysTruncate(s, p, str(a[0]), n(a[1])) };
    case "ftruncate": return { ret: sysFtruncate(s, p, n(a[0]), n(a[1])) };
    case "fallocate": return { ret: sysFallocate(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3])) };
    case "fsync": return { ret: sysFsync(s, p, n(a[0])) };
    case "unlink": return { ret: sysUnlink(s, p, str(a[0])) };
    case "rename": return { ret: sysRename(s, p, str(a[0]), str(a[1])) };
    case "mmap": return { ret: sysMmap(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4]), n(a[5])) };
    case "munmap": return { ret: sysMunmap(s, p, n(a[0]), n(a[1])) };
    case "fcntl": return { ret: sysFcntl(s, p, n(a[0]), n(a[1]), n(a[2])) };
    case "ioctl": return { ret: sysIoctl(s, p, n(a[0]), n(a[1]), n(a[2])) };
    case "cat": { const lines = str(a[0]).startsWith("/sys/") ? catMemoryBlock(s, str(a[0])) : catProc(s, str(a[0]), p); return typeof lines === "number" ? { ret: lines } : { ret: 0, lines }; }
    // RDMA verbs (rdma-core names; the kernel side is drivers/infiniband/core/uverbs_cmd.c).
    case "ibv_alloc_pd": return { ret: ibvAllocPd(s, p, n(a[0])) };
    case "ibv_dealloc_pd": return { ret: ibvDeallocPd(s, n(a[0])) };
    case "ibv_reg_mr": return { ret: ibvRegMr(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3])) };
    case "ibv_dereg_mr": return { ret: ibvDeregMr(s, n(a[0])) };
    case "ibv_close_device": {
      const f = fget(s, p, n(a[0]));
      if (f === null) return { ret: -EBADF };
      return { ret: f.kind === FK_UVERBS ? sysClose(s, p, n(a[0])) : -EINVAL };
    }
    // io_uring fixed buffers (io_uring/rsrc.c) and the I/O that uses them.
    case "io_uring_setup": return { ret: ioUringSetup(s, p, n(a[0])) };
    case "io_uring_register_buffers": return { ret: ioUringRegisterBuffers(s, p, n(a[0]), n(a[1]), n(a[2])) };
    case "io_uring_unregister_buffers": return { ret: ioUringUnregisterBuffers(s, p, n(a[0])) };
    case "io_uring_read_fixed": case "io_uring_write_fixed":
      return { ret: ioUringRwFixed(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4]), name === "io_uring_write_fixed") };
    // AF_UNIX socketpairs and SCM_RIGHTS (net/socket.c, net/unix/af_unix.c, net/core/scm.c).
    case "socketpair": { const r = sysSocketpair(s, p, n(a[0]), n(a[1]), n(a[2])); return r.fds === undefined ? { ret: r.ret } : { ret: r.ret, fds: r.fds }; }
    case "sendmsg": {
      const m = str(a[1]), cut = m.lastIndexOf("\0"), list = m.slice(cut + 1);
      return { ret: unixSendmsg(s, p, n(a[0]), m.slice(0, cut), list === "-" ? null : list === "" ? [] : list.split(",").map(Number), n(a[2])) };
    }
    case "recvmsg": {
      const [size, control] = str(a[1]).split(" ").map(Number) as [number, number];
      return sockRecv(s, p, n(a[0]), size, n(a[2]), control === 1, name, a);
    }
    case "execve": return { ret: sysExecve(s, p) };
    case "pidfd_open": return { ret: sysPidfdOpen(s, p, n(a[0]), n(a[1])) };
    case "pidfd_getfd": return { ret: sysPidfdGetfd(s, p, n(a[0]), n(a[1]), n(a[2])) };
    // Admin views.
    case "lsof": return { ret: 0, lines: lsofLines(s, str(a[0])) };
    // Taking RDMA contexts and memory away (rdma/disassociate.ts, mm/memory_hotplug.ts).
    case "rmmod": return { ret: sysRmmod(s, p, str(a[0])) };
    case "revoke_context": return { ret: sysRevokeContext(s, p, procByPid(s, n(a[0])), n(a[1])) };
    case "revoke_file": return { ret: sysRevokeFile(s, p, str(a[0])) };
    case "ibv_get_async_event": return { ret: ibvGetAsyncEvent(s, p, n(a[0])) };
    case "memory_offline": return { ret: sysMemoryOffline(s, p, n(a[0])) };
    case "rdma": {
      const lines = rdmaLines(s, str(a[0]));
      return lines === null ? { ret: -ENOENT } : { ret: 0, lines };
    }
  }
  return { ret: -EINVAL };
}

function isSock(s: KState, p: Proc, fd: number): boolean {
  return fget(s, p, fd)?.sock != null;
}

function sockRecv(s: KState, p: Proc, fd: number, size: number, flags: number, control: boolean, name: string, a: SysArg[]): SysResult {
  const r = unixRecvmsg(s, p, fd, size, flags, control, name, a);
  return r.ret < 0 ? { ret: r.ret } : { ret: r.ret, data: r.data, fds: r.fds };
}

/** Sleeps that end when a condition holds rather than on a wake-up: pins gone from a range, or from a lease. */
export function conditionMet(s: KState, p: Proc): boolean {
  const w = p.wait!;
  if (w.kind === "dax") {
    const inode = s.inodes[w.ino];
    return inode === null || inode === undefined || !pinnedInRange(s, inode, w.start, w.end);
  }
  if (w.kind === "offline") return !blockPinned(s, w.start, w.end);
  if (w.kind === "sock") return unixReadable(s, p, w.fd);
  if (w.kind === "unpin") {
    for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases) if (l.id === w.lease) return l.pins === 0;
    return true;
  }
  return false;
}

/** Can `p` run in the kernel now: a fatal signal to act on, or a sleep that is over? */
export function runnable(s: KState, p: Proc): "die" | "resume" | null {
  if (p.state !== PState.Running && p.state !== PState.Blocked) return null;
  if (p.fatal !== 0) return "die";
  if (p.wait !== null && (p.wait.woken || conditionMet(s, p))) return "resume";
  return null;
}

/** A fatal signal is acted on: the process exits (a call it slept in never returns). */
export function die(s: KState, p: Proc) {
  assert(p.fatal !== 0, `${p.name} dies without a fatal signal`);
  doExit(s, p, PState.Killed, p.fatal);
  taskWork(s);
}

/**
 * A woken sleeper runs: it finishes its call (its result), fails it (-errno), or sleeps
 * again (BLOCKED).
 */
export function resume(s: KState, p: Proc): number {
  assert(p.wait !== null && p.fatal === 0, `${p.name} resumes without a sleep`);
  const r = runWoken(s, p);
  if (r !== BLOCKED) {
    p.wait = null;
    p.state = PState.Running;
    p.sigpend = 0; // back in user space: the caught signals are delivered
  }
  taskWork(s);
  return r;
}

function runWoken(s: KState, p: Proc): number {
  const w = p.wait!;
  if (w.op === "fput") {
    // Uninterruptible: a caught signal does not end it (SIGKILL is handled by die).
    if (!conditionMet(s, p)) { w.woken = false; return BLOCKED; }
    p.wait = null;
    fput(s, w.file);
    return 0;
  }
  // The oracle's agent waits on through EINTR for a completion; only SIGKILL ends this.
  if (w.kind === "poll") { w.woken = false; return BLOCKED; }
  // offline_pages retries until the pins go; only a fatal signal ends it (die).
  if (w.kind === "offline") {
    if (!conditionMet(s, p)) { w.woken = false; return BLOCKED; }
    p.wait = null;
    return dispatch(s, p, w.call, w.args).ret;
  }
  let r: number;
  if (w.kind === "lease") r = breakLeaseResume(s, p);
  else {
    p.wait = null;
    r = p.sigpend > 0 ? -EINTR : 0;
  }
  if (r === BLOCKED) return BLOCKED;
  if (r < 0) {
    p.wait = w;
    abortWait(s, p, r);
    return r;
  }
  p.wait = null;
  if (w.op === "open") return finishOpen(s, p, w.file, w.fd, w.len !== 0, w.args);
  if (w.op === "truncate") return finishTruncate(s, p, w.ino, w.len, 0, [w.call, ...w.args]);
  // The call starts over, as after -ERESTARTSYS: it may finish, fail, or sleep again.
  return dispatch(s, p, w.call, w.args).ret;
}

/** Time runs out: the next timeout fires (its sleepers are woken, to resume as moves of their own). */
export function tick(s: KState): boolean {
  const fired = fireTimers(s);
  taskWork(s);
  return fired;
}

/** The NIC's DMA, as a remote peer makes it happen: no process, no syscall. */
export function nicAccess(s: KState, name: string, a: SysArg[]): SysResult {
  const r = name === "rdma_write" ? { ret: nicWrite(s, n(a[0]), n(a[1]), str(a[2])) } : nicRead(s, n(a[0]), n(a[1]), n(a[2]));
  taskWork(s);
  return r;
}
