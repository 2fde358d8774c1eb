// The system call entry: one function per call, taking resolved arguments (numbers and
// byte strings) and returning what the kernel returns (a value, or -errno).
import type { KState, Proc } from "./state.js";
import { PState, BLOCKED } from "./state.js";
import { EBADF, EINVAL } from "./errno.js";
import * as U from "./uapi.js";
import { fget, fput, allocFd, installFd, getFile, releaseFd } from "./file.js";
import { sysOpen, sysTruncate, startDir } from "./open.js";
import { sysFcntl } from "./fcntl.js";
import { sysMmap, sysMunmap } from "./mm.js";
import { sysRead, sysWrite, sysFtruncate, sysFallocate, sysFsync } from "./rw.js";
import { sysUnlink, sysRename } from "./dir.js";
import { sysKill } from "./signal.js";
import { settle, doExit, sysFork } from "./sched.js";
import { catProc } from "./proc.js";
import { extraCall } from "./calls_extra.js";
import { policyOf } from "../policy/registry.js";
import { pinnedLeaseOf, waitUnpinHolding } from "./layout.js";
import { UVERBS_PATH, openSpecial } from "./rdma.js";
import { FK_UVERBS } from "./state.js";
import { assert } from "./assert.js";

export type SysArg = number | string;
export interface SysResult { ret: number; data?: string; lines?: string[] }

function sysClose(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  releaseFd(p, fd);
  // sticky, close=block: the descriptor is gone, but the last fput of a leased file with
  // pins sleeps until they are released; only SIGKILL ends that sleep.
  if (f.ref === 1) {
    const l = pinnedLeaseOf(s, f);
    if (l !== null && policyOf(s).closeWithPins(s, f, l) === "block") return waitUnpinHolding(s, p, l, f.id);
  }
  fput(s, f.id);
  return 0;
}

function sysDup2(s: KState, p: Proc, oldfd: number, newfd: number): number {
  const f = fget(s, p, oldfd);
  if (f === null || newfd < 0 || newfd >= U.NR_OPEN) return -EBADF;
  if (oldfd === newfd) return newfd;
  const old = fget(s, p, newfd);
  while (p.fds.length <= newfd) p.fds.push(-1);
  getFile(f);
  p.fds[newfd] = f.id;
  if (old !== null) fput(s, old.id);
  return newfd;
}

function sysDup(s: KState, p: Proc, fd: number): number {
  const f = fget(s, p, fd);
  if (f === null) return -EBADF;
  const nfd = allocFd(p, 0);
  if (nfd < 0) return nfd;
  getFile(f);
  installFd(p, nfd, f.id);
  return nfd;
}

const n = (a: SysArg | undefined): number => (typeof a === "number" ? a : 0);
const str = (a: SysArg | undefined): string => (typeof a === "string" ? a : "");

/** Runs one call for process `p` (`forkName` names the child of a fork), then settles the machine. */
export function syscall(s: KState, p: Proc, name: string, a: SysArg[], forkName = ""): SysResult {
  assert(p.state === PState.Running, `${p.name} makes a call while not running`);
  p.sigpend = 0;
  p.call = name;
  p.done = false;
  const r = dispatch(s, p, name, a, forkName);
  if (p.state === PState.Running) {
    if (r.ret === BLOCKED) p.state = PState.Blocked;
    // A process that dies in its own call (kill of itself) never returns from it: `= ?`.
    else if (p.fatal === 0) { p.ret = r.ret; p.done = true; }
  }
  settle(s);
  return r;
}

/** The body of a call: also what a sleeper whose call must start over runs again. */
export function dispatch(s: KState, p: Proc, name: string, a: SysArg[], forkName = ""): SysResult {
  let r: SysResult;
  switch (name) {
    // do_dentry_open: the RDMA context has no FMODE_CAN_ODIRECT.
    case "open": r = { ret: str(a[0]) === UVERBS_PATH ? (n(a[1]) & U.O_DIRECT ? -EINVAL : openSpecial(s, p, FK_UVERBS, UVERBS_PATH)) : sysOpen(s, p, str(a[0]), n(a[1]), n(a[2])) }; break;
    case "openat": r = { ret: sysOpen(s, p, str(a[1]), n(a[2]), n(a[3]), startDir(s, p, n(a[0]), str(a[1]))) }; break;
    case "close": r = { ret: sysClose(s, p, n(a[0])) }; break;
    case "dup": r = { ret: sysDup(s, p, n(a[0])) }; break;
    case "dup2": r = { ret: sysDup2(s, p, n(a[0]), n(a[1])) }; break;
    case "fork": r = { ret: sysFork(s, p, forkName, nextPid(s)) }; break;
    case "exit": doExit(s, p, PState.Exited, n(a[0]) & 0xff); r = { ret: BLOCKED }; break;
    case "kill": r = { ret: sysKill(s, p, n(a[0]), n(a[1])) }; break;
    case "read": { const x = sysRead(s, p, n(a[0]), n(a[2]), null); r = { ret: x.ret, data: x.data }; break; }
    case "pread": case "pread64": { const x = sysRead(s, p, n(a[0]), n(a[2]), n(a[3])); r = { ret: x.ret, data: x.data }; break; }
    case "write": r = { ret: sysWrite(s, p, n(a[0]), str(a[1]).slice(0, n(a[2])), null) }; break;
    case "pwrite": case "pwrite64": r = { ret: sysWrite(s, p, n(a[0]), str(a[1]).slice(0, n(a[2])), n(a[3])) }; break;
    case "truncate": r = { ret: sysTruncate(s, p, str(a[0]), n(a[1])) }; break;
    case "ftruncate": r = { ret: sysFtruncate(s, p, n(a[0]), n(a[1])) }; break;
    case "fallocate": r = { ret: sysFallocate(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3])) }; break;
    case "fsync": r = { ret: sysFsync(s, p, n(a[0])) }; break;
    case "unlink": r = { ret: sysUnlink(s, p, str(a[0])) }; break;
    case "rename": r = { ret: sysRename(s, p, str(a[0]), str(a[1])) }; break;
    case "mmap": r = { ret: sysMmap(s, p, n(a[0]), n(a[1]), n(a[2]), n(a[3]), n(a[4]), n(a[5])) }; break;
    case "munmap": r = { ret: sysMunmap(s, p, n(a[0]), n(a[1])) }; break;
    case "fcntl": r = { ret: sysFcntl(s, p, n(a[0]), n(a[1]), n(a[2])) }; break;
    case "cat": { const lines = catProc(s, str(a[0]), p); r = typeof lines === "number" ? { ret: lines } : { ret: 0, lines }; break; }
    default: r = extraCall(s, p, name, a, (fd) => sysClose(s, p, fd));
  }
  return r;
}

export function nextPid(s: KState): number {
  let pid = 1000;
  for (const p of s.procs) if (p.pid >= pid) pid = p.pid + 1;
  return pid;
}
