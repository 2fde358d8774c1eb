// How a call's raw return value is written in the contract's notation. The model and
// the oracle both return what the kernel would (a value, or -errno) and format it here,
// so that the two can only differ in behaviour, never in spelling.
import type { Arg } from "./ast.js";
import { errnoName } from "../kernel/include/errno.js";
import { signalName } from "../kernel/include/signal_names.js";
import * as U from "../kernel/include/uapi.js";

export function fmtErrno(err: number): string {
  return `-1 ${errnoName(err)}`;
}

/** strace's F_GETFL: `0x8002 (flags O_RDWR|O_LARGEFILE)`. */
export function fmtGetfl(flags: number): string {
  const acc = flags & U.O_ACCMODE;
  const names = [acc === U.O_RDONLY ? "O_RDONLY" : acc === U.O_WRONLY ? "O_WRONLY" : acc === U.O_RDWR ? "O_RDWR" : "0x3"];
  let rest = flags & ~U.O_ACCMODE;
  for (const [n, v] of U.OPEN_FLAGS) {
    if (n === "O_SYNC") { if ((rest & v) === v) { names.push(n); rest &= ~v; } continue; }
    if (rest & v) { names.push(n); rest &= ~v; }
  }
  if (rest !== 0) names.push("0x" + rest.toString(16));
  return `0x${flags.toString(16)} (flags ${names.join("|")})`;
}

export function fmtLeaseType(t: number): string {
  return t === U.F_RDLCK ? "F_RDLCK" : t === U.F_WRLCK ? "F_WRLCK" : t === U.F_UNLCK ? "F_UNLCK" : String(t);
}

export function fmtAddr(a: number): string {
  return "0x" + a.toString(16);
}

function fcntlCmd(args: Arg[]): string | null {
  const a = args[1];
  return a !== undefined && a.k === "sym" ? String(a.v[0]) : null;
}

/**
 * The actual result of a call that returned `ret` (negative: -errno).
 * `procName` turns a pid into a process name (F_GETOWN, fork).
 */
export function fmtResult(name: string, args: Arg[], ret: number, procName: (pid: number) => string): string {
  if (ret < 0) return fmtErrno(-ret);
  switch (name) {
    case "fork":
    case "clone":
      return procName(ret);
    case "mmap":
      return fmtAddr(ret);
    case "ibv_get_async_event":
      return Object.keys(U.IBV_EVENTS).find((k) => U.IBV_EVENTS[k] === ret) ?? String(ret);
    case "fcntl":
      switch (fcntlCmd(args)) {
        case "F_GETLEASE":
          if (ret & U.F_LAYOUT) return ret & U.F_EXCLUSIVE ? "F_LAYOUT|F_EXCLUSIVE" : "F_LAYOUT";
          return fmtLeaseType(ret);
        case "F_GETLAYOUT": return fmtLeaseType(ret);
        case "F_GETFL": return fmtGetfl(ret);
        // strace: `0x1 (flags FD_CLOEXEC)`, or 0.
        case "F_GETFD": return ret === 0 ? "0" : ret === U.FD_CLOEXEC ? "0x1 (flags FD_CLOEXEC)" : `0x${ret.toString(16)}`;
        case "F_GETSIG": return ret === 0 ? "0" : signalName(ret);
        case "F_GETOWN": return ret === 0 ? "0" : procName(ret);
      }
  }
  return String(ret);
}
