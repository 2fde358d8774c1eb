// The calls a script may make, and the shape of their arguments. The parser checks
// scripts against this table so that a bad flag is an error before anything runs.
import type { Arg } from "./ast.js";
import * as U from "../kernel/include/uapi.js";
import { signalByName, isStopSignal } from "../kernel/include/signal_names.js";
import { checkMsg } from "./msg.js";

export type ArgKind =
  | "fd" | "dirfd" | "path" | "oflags" | "mode" | "int" | "buf" | "rbuf" | "fcntlcmd" | "fcntlarg" | "ioctlcmd"
  | "proc" | "sig" | "addr" | "prot" | "mapflags" | "fallocmode" | "handle" | "ibvaccess" | "str"
  | "sockfamily" | "socktype" | "fdpair" | "msghdr" | "msgflags" | "exepath" | "strarr" | "cloneflags";

export interface CallSig {
  args: ArgKind[];
  /** How many trailing args may be left out. */
  optional?: number;
  /** No kernel has it: the oracle skips scenarios that use it. */
  modelOnly?: boolean;
  /** Made by the NIC (the reserved process), not by a process. */
  nic?: boolean;
}

export const CALLS: Record<string, CallSig> = {
  open: { args: ["path", "oflags", "mode"], optional: 1 },
  openat: { args: ["dirfd", "path", "oflags", "mode"], optional: 1 },
  close: { args: ["fd"] },
  dup: { args: ["fd"] },
  dup2: { args: ["fd", "fd"] },
  fork: { args: [] },
  exit: { args: ["int"] },
  kill: { args: ["proc", "sig"] },
  read: { args: ["fd", "rbuf", "int"] },
  write: { args: ["fd", "buf", "int"] },
  pread: { args: ["fd", "rbuf", "int", "int"] },
  pwrite: { args: ["fd", "buf", "int", "int"] },
  truncate: { args: ["path", "int"] },
  ftruncate: { args: ["fd", "int"] },
  fallocate: { args: ["fd", "fallocmode", "int", "int"] },
  fsync: { args: ["fd"] },
  unlink: { args: ["path"] },
  rename: { args: ["path", "path"] },
  mmap: { args: ["addr", "int", "prot", "mapflags", "fd", "int"] },
  munmap: { args: ["addr", "int"] },
  fcntl: { args: ["fd", "fcntlcmd", "fcntlarg"], optional: 1 },
  // ioctl(dst, FICLONE, src): the only command the model has (fs/ioctl.c ioctl_file_clone).
  ioctl: { args: ["fd", "ioctlcmd", "fd"] },
  cat: { args: ["path"] },
  // RDMA verbs (rdma-core names): the context is an open file of /dev/infiniband/uverbs0.
  ibv_alloc_pd: { args: ["fd"], modelOnly: true },
  ibv_dealloc_pd: { args: ["handle"], modelOnly: true },
  ibv_reg_mr: { args: ["handle", "addr", "int", "ibvaccess"], modelOnly: true },
  ibv_dereg_mr: { args: ["handle"], modelOnly: true },
  ibv_close_device: { args: ["fd"], modelOnly: true },
  rdma_write: { args: ["handle", "int", "buf"], modelOnly: true, nic: true },
  rdma_read: { args: ["handle", "int", "int"], modelOnly: true, nic: true },
  // io_uring fixed buffers: a long-term pinner today's kernel has.
  io_uring_setup: { args: ["int"] },
  io_uring_register_buffers: { args: ["fd", "addr", "int"] },
  io_uring_unregister_buffers: { args: ["fd"] },
  // One IORING_OP_READ_FIXED / WRITE_FIXED on buffer 0, submitted and waited for:
  // (ring, fd, buf, len, offset) as liburing's io_uring_prep_read_fixed takes them.
  io_uring_read_fixed: { args: ["fd", "fd", "addr", "int", "int"] },
  io_uring_write_fixed: { args: ["fd", "fd", "addr", "int", "int"] },
  // AF_UNIX socketpairs and SCM_RIGHTS (strace's notation: see msg.ts).
  socketpair: { args: ["sockfamily", "socktype", "int", "fdpair"] },
  sendmsg: { args: ["fd", "msghdr", "msgflags"] },
  recvmsg: { args: ["fd", "msghdr", "msgflags"] },
  // execve of the script process's own program: it carries on with the script's next line.
  execve: { args: ["exepath", "strarr", "addr"] },
  // clone(flags=CLONE_FILES|SIGCHLD) = B: a child sharing (CLONE_FILES) or copying the table.
  clone: { args: ["cloneflags"] },
  // pidfds: a process by name (strace prints its pid), and a copy of one of its files.
  pidfd_open: { args: ["proc", "int"] },
  pidfd_getfd: { args: ["fd", "fd", "int"] },
  // Admin views.
  lsof: { args: ["path"], modelOnly: true },
  rdma: { args: ["str"], modelOnly: true },
  // Admin calls that take RDMA contexts and memory away, and what the RDMA app then reads.
  rmmod: { args: ["str"], modelOnly: true },
  revoke_context: { args: ["proc", "fd"], modelOnly: true },
  revoke_file: { args: ["path"], modelOnly: true },
  memory_offline: { args: ["int"], modelOnly: true },
  ibv_get_async_event: { args: ["fd"], modelOnly: true },
};

export const IBV_ACCESS_FLAGS: Record<string, number> = {
  IBV_ACCESS_LOCAL_WRITE: 1, IBV_ACCESS_REMOTE_WRITE: 2, IBV_ACCESS_REMOTE_READ: 4, IBV_ACCESS_REMOTE_ATOMIC: 8,
  IBV_ACCESS_MW_BIND: 16, IBV_ACCESS_ZERO_BASED: 32, IBV_ACCESS_ON_DEMAND: 64,
};
// strace spells the 64-bit variants with the suffix; they are the same calls here.
CALLS.pread64 = CALLS.pread!;
CALLS.pwrite64 = CALLS.pwrite!;

/** The one /sys file a script may read: Dan Williams' memory-block view. */
export const MEMORY_BLOCK_VIEW = /^\/sys\/devices\/system\/memory\/memory\d+\/pinned_by$/;

/** clone's flags the model has: sharing the descriptor table, and the exit signal. */
export const CLONE_FLAGS: Record<string, number> = { CLONE_FILES: 0x400, SIGCHLD: 17 };

/** clone's `flags=...` as a number. */
export function cloneFlags(a: Arg | undefined): number {
  return a?.k === "named" ? symValue(a.v, CLONE_FLAGS) : 0;
}

/** The one program a script may execve: its own (the oracle's agent re-executes itself). */
export const EXE_PATH = "/proc/self/exe";

/** A problem with argument `arg` (-1: the call); `at` is the offending word within the argument. */
export type Check = { arg: number; msg: string; at?: string } | null;

function flagsOf(a: Arg, table: Record<string, number>, what: string, extra?: Record<string, number>): string | null {
  if (a.k === "num") return null;
  if (a.k !== "sym") return `${what} must be flag names or a number`;
  for (const p of a.v) {
    if (typeof p === "number") continue;
    if (table[p] === undefined && (extra === undefined || extra[p] === undefined)) return `unknown ${what} ${p}`;
  }
  return null;
}

const OPEN_TABLE: Record<string, number> = Object.fromEntries([
  ["O_RDONLY", U.O_RDONLY], ["O_WRONLY", U.O_WRONLY], ["O_RDWR", U.O_RDWR], ...U.OPEN_FLAGS,
]);

/** F_SETFD's flags (include/uapi/asm-generic/fcntl.h). */
export const FD_FLAGS: Record<string, number> = { FD_CLOEXEC: U.FD_CLOEXEC };

export function openFlagValue(a: Arg): number {
  return symValue(a, OPEN_TABLE, U.OPEN_FLAG_ALIASES);
}

/** The numeric value of flags already checked by the parser. */
export function symValue(a: Arg, table: Record<string, number>, extra?: Record<string, number>): number {
  if (a.k === "num") return a.v;
  if (a.k !== "sym") throw new Error("symValue of " + a.k);
  let v = 0;
  for (const p of a.v) v |= typeof p === "number" ? p : (table[p] ?? extra?.[p] ?? 0);
  return v;
}

function checkArg(kind: ArgKind, a: Arg, procs: Set<string>, cmd: string | null): string | null {
  switch (kind) {
    case "fd":
      if (a.k !== "num") return "a descriptor is a number";
      if (a.v >= 1000) return "descriptors 1000 and up are reserved";
      return null;
    case "dirfd":
      if (a.k === "sym" && a.v.length === 1 && a.v[0] === "AT_FDCWD") return null;
      return checkArg("fd", a, procs, cmd);
    case "path":
      return a.k === "str" ? null : "a path is a string";
    case "oflags":
      return flagsOf(a, OPEN_TABLE, "open flag", U.OPEN_FLAG_ALIASES);
    case "mode":
    case "int":
      return a.k === "num" ? null : "expected a number";
    case "buf":
      return a.k === "str" || a.k === "var" ? null : "a buffer is a string";
    case "rbuf":
      return a.k === "str" || a.k === "var" ? null : 'a read buffer is a string ("" for unchecked)';
    case "fcntlcmd":
      if (a.k !== "sym" || a.v.length !== 1 || typeof a.v[0] !== "string") return "expected an F_ command";
      return U.FCNTL_CMDS[a.v[0]] === undefined ? `unknown fcntl command ${a.v[0]}` : null;
    case "fcntlarg":
      return checkFcntlArg(cmd, a, procs);
    case "ioctlcmd":
      if (a.k !== "sym" || a.v.length !== 1 || typeof a.v[0] !== "string") return "expected an ioctl command (FICLONE)";
      return U.IOCTL_CMDS[a.v[0]] === undefined ? `unknown ioctl command ${a.v[0]} (the model has FICLONE)` : null;
    case "proc":
      if (a.k === "sym" && a.v.length === 1 && typeof a.v[0] === "string" && procs.has(a.v[0])) return null;
      return `unknown process ${a.text}`;
    case "sig": {
      if (a.k === "num") return a.v >= 0 && a.v <= 64 ? null : "no such signal";
      if (a.k !== "sym" || a.v.length !== 1 || typeof a.v[0] !== "string") return "expected a signal";
      const s = signalByName(a.v[0]);
      if (s === null) return `unknown signal ${a.v[0]}`;
      if (isStopSignal(s)) return `${a.v[0]}: stopped processes are not modelled`;
      return null;
    }
    case "addr":
      if (a.k === "var" || a.k === "num") return null;
      if (a.k === "sym" && a.v.length === 1 && a.v[0] === "NULL") return null;
      return "an address is NULL, a number or a $variable";
    case "prot":
      return flagsOf(a, U.PROT_FLAGS, "PROT_ flag");
    case "mapflags":
      return flagsOf(a, U.MAP_FLAGS, "MAP_ flag");
    case "fallocmode":
      if (a.k === "num") return null;
      return flagsOf(a, U.FALLOC_FLAGS, "FALLOC_FL_ flag");
    case "handle":
      return a.k === "var" || a.k === "num" ? null : "a handle is a $variable bound by the call that made it";
    case "ibvaccess":
      return flagsOf(a, IBV_ACCESS_FLAGS, "IBV_ACCESS_ flag");
    case "str":
      return a.k === "str" ? null : "expected a string";
    case "sockfamily":
      return a.k === "sym" && a.v.length === 1 && typeof a.v[0] === "string" && U.SOCK_FAMILIES[a.v[0]] !== undefined ? null : "the family is AF_UNIX (socketpairs of other families are not modelled)";
    case "socktype": {
      const why = flagsOf(a, U.SOCK_TYPES, "socket type");
      if (why !== null) return why;
      const t = symValue(a, U.SOCK_TYPES) & U.SOCK_TYPE_MASK;
      return t === U.SOCK_STREAM || t === U.SOCK_DGRAM ? null : "SOCK_STREAM or SOCK_DGRAM (with SOCK_CLOEXEC, SOCK_NONBLOCK)";
    }
    case "fdpair":
      if (a.k !== "arr" || a.v.length !== 2 || a.v.some((x) => x.k !== "num")) return "the descriptors made, as strace prints them: [3, 4]";
      return a.v.some((x) => x.k === "num" && x.v >= 1000) ? "descriptors 1000 and up are reserved" : null;
    case "msghdr":
      return checkMsg(a, cmd === "send");
    case "msgflags":
      return flagsOf(a, U.MSG_FLAGS, "MSG_ flag");
    case "exepath":
      return a.k === "str" && a.v === EXE_PATH ? null : `the program is ${EXE_PATH} (the script process's own: it carries on with the script)`;
    case "cloneflags":
      if (a.k !== "named" || a.key !== "flags") return "clone takes flags=CLONE_FILES|SIGCHLD (as strace writes it)";
      return flagsOf(a.v, CLONE_FLAGS, "clone flag (CLONE_FILES and SIGCHLD are modelled)");
    case "strarr":
      return a.k === "arr" && a.v.every((x) => x.k === "str") ? null : 'an array of strings: ["prog", "arg"]';
  }
}

function checkFcntlArg(cmd: string | null, a: Arg, procs: Set<string>): string | null {
  switch (cmd) {
    case "F_SETLEASE":
      if (a.k === "num") return null;
      return flagsOf(a, U.LEASE_TYPES, "lease type");
    case "F_SETSIG":
      return a.k === "num" ? null : checkArg("sig", a, procs, null);
    case "F_SETOWN":
      if (a.k === "num") return a.v === 0 ? null : "F_SETOWN takes a process name or 0";
      return checkArg("proc", a, procs, null);
    case "F_SETFL":
      return flagsOf(a, OPEN_TABLE, "open flag", U.OPEN_FLAG_ALIASES);
    case "F_SETFD":
      return flagsOf(a, FD_FLAGS, "descriptor flag");
    case "F_SETLAYOUT":
      return a.k === "num" ? null : flagsOf(a, U.LEASE_TYPES, "layout type");
    default:
      return a.k === "num" ? null : "expected a number";
  }
}

/** Checks a call's arguments; `procs` are the process names known at this step. */
export function checkCall(name: string, args: Arg[], procs: Set<string>): Check {
  const sig = CALLS[name];
  if (sig === undefined) return { arg: -1, msg: `unknown call ${name}` };
  const min = sig.args.length - (sig.optional ?? 0);
  if (args.length < min || args.length > sig.args.length)
    return { arg: -1, msg: `${name} takes ${min === sig.args.length ? min : `${min} to ${sig.args.length}`} arguments, not ${args.length}` };
  let cmd: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const kind = sig.args[i]!;
    if (kind === "fcntlcmd" && a.k === "sym") cmd = String(a.v[0]);
    if (kind === "msghdr") cmd = name === "sendmsg" ? "send" : "recv";
    const msg = checkArg(kind, a, procs, cmd);
    if (msg !== null) {
      const word = /^unknown [^ ]+(?: [^ ]+)? ([A-Za-z_0-9+]+)$/.exec(msg)?.[1];
      return word !== undefined && a.text.includes(word) ? { arg: i, msg, at: word } : { arg: i, msg };
    }
  }
  if (name === "fcntl" && args.length === 2 && cmd !== null && needsArg(cmd))
    return { arg: -1, msg: `${cmd} needs an argument` };
  if ((name === "write" || name.startsWith("pwrite")) && args[1]!.k === "str" && args[2]!.k === "num" && args[2]!.v > args[1]!.v.length)
    return { arg: 2, msg: `the buffer holds ${args[1]!.v.length} bytes, fewer than the count` };
  if (name === "rdma_write" && args[1]!.k === "num" && args[2]!.k !== "str") return { arg: 2, msg: "the NIC writes the bytes of a string" };
  if (name === "cat" && args[0]!.k === "str" && !args[0]!.v.startsWith("/proc/") && !MEMORY_BLOCK_VIEW.test(args[0]!.v))
    return { arg: 0, msg: "cat reads /proc files only (and /sys/devices/system/memory/memoryN/pinned_by)" };
  return null;
}

function needsArg(cmd: string): boolean {
  return cmd === "F_SETLEASE" || cmd === "F_SETLAYOUT" || cmd === "F_SETSIG" || cmd === "F_SETOWN" || cmd === "F_SETFL" ||
    cmd === "F_DUPFD" || cmd === "F_DUPFD_CLOEXEC" || cmd === "F_SETFD";
}
