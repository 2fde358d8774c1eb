// Turns a parsed call into the agent's command line, and says which scenarios the
// kernel cannot run (model-only calls, admin views, device files only the model has).
// Paths go to the kernel as written: the agents live in the run's own tree, where the
// kernel itself resolves them.
import type { Arg, Scenario, Step } from "../scenario/ast.js";
import { CALLS, openFlagValue, symValue, FD_FLAGS } from "../scenario/calls.js";
import { signalByName } from "../kernel/include/signal_names.js";
import * as U from "../kernel/include/uapi.js";
import { CAP_NAMES } from "../kernel/include/caps.js";
import { DEVICES, lexicalWalk } from "../scenario/paths.js";
import { readMsg } from "../scenario/msg.js";
import { cloneFlags } from "../scenario/calls.js";

type CallStep = Extract<Step, { k: "call" }>;

/** Calls the agent performs (cat is done by the driver). */
export const SUPPORTED = new Set([
  "open", "openat", "close", "dup", "dup2", "fork", "exit", "kill", "read", "write", "pread", "pread64",
  "pwrite", "pwrite64", "truncate", "ftruncate", "fallocate", "fsync", "unlink", "rename", "mmap", "munmap",
  "fcntl", "ioctl", "cat", "io_uring_setup", "io_uring_register_buffers", "io_uring_unregister_buffers",
  "io_uring_read_fixed", "io_uring_write_fixed", "socketpair", "sendmsg", "recvmsg", "execve", "clone", "pidfd_open", "pidfd_getfd",
]);
export const FCNTL_OK = new Set([
  "F_DUPFD", "F_DUPFD_CLOEXEC", "F_GETFD", "F_SETFD", "F_GETFL", "F_SETFL", "F_SETOWN", "F_GETOWN",
  "F_SETSIG", "F_GETSIG", "F_SETLEASE", "F_GETLEASE",
]);
/** F_SETLEASE types today's kernel has (F_LAYOUT and F_EXCLUSIVE are the RFCs'). */
export const LEASE_TYPES_OK = new Set(["F_RDLCK", "F_WRLCK", "F_UNLCK"]);

/** Capability numbers (include/uapi/linux/capability.h). */
const CAP_NUMBERS: Record<string, number> = Object.fromEntries(CAP_NAMES.map((n, i) => [n, i]));

export function capMask(caps: string[]): bigint {
  let m = 0n;
  for (const c of caps) {
    const n = CAP_NUMBERS[c];
    if (n === undefined) throw new Error(`unknown capability ${c}`);
    m |= 1n << BigInt(n);
  }
  return m;
}

function fcntlCmd(s: CallStep): string | null {
  const a = s.args[1];
  return a !== undefined && a.k === "sym" && typeof a.v[0] === "string" ? a.v[0] : null;
}

/** Why the kernel cannot run this scenario, or null: the first step, in written order, that it cannot make. */
export function kernelSkipReason(sc: Scenario): string | null {
  // No pmem here: a pin of a DAX file would be checked against a file that is not DAX.
  const dax = sc.mounts.some((m) => m.dax !== "never");
  for (const s of sc.steps) {
    if (s.k !== "call") continue;
    const sig = CALLS[s.name];
    if (sig?.modelOnly) return `line ${s.line}: ${s.name} is model-only (no kernel has it)`;
    if (!SUPPORTED.has(s.name)) return `line ${s.line}: the oracle does not run ${s.name}`;
    if (dax && s.name === "io_uring_register_buffers")
      return `line ${s.line}: long-term pins of a dax= mount cannot run here (no pmem): the kernel would pin a file that is not DAX`;
    if (s.name === "cat") {
      const p = s.args[0];
      if (p?.k !== "str" || p.v !== "/proc/locks") return `line ${s.line}: cat(${p?.text}) has no kernel counterpart the oracle compares (only /proc/locks)`;
    }
    if (s.name === "fcntl") {
      const cmd = fcntlCmd(s);
      if (cmd === null || !FCNTL_OK.has(cmd)) return `line ${s.line}: fcntl ${cmd} is model-only (no kernel has it)`;
      const a = s.args[2];
      if (cmd === "F_SETLEASE" && a?.k === "sym" && a.v.some((p) => typeof p === "string" && !LEASE_TYPES_OK.has(p)))
        return `line ${s.line}: F_SETLEASE ${a.text} is model-only (no kernel has it)`;
    }
    for (let i = 0; i < s.args.length; i++) {
      const a = s.args[i]!;
      if (a.k !== "str" || sig?.args[i] !== "path" || s.name === "cat") continue;
      if (DEVICES.has(a.v)) return `line ${s.line}: ${a.v} is a device only the model has`;
      // The parser refuses these too; a scenario built another way is held to the same rule.
      if (a.v.includes("\0")) return `line ${s.line}: a path cannot hold a NUL byte`;
      const through = lexicalWalk(a.v).kernelDir;
      if (through !== null) return `line ${s.line}: ${a.v} goes through ${through}, whose contents only the kernel has`;
    }
  }
  return null;
}

/** What the driver needs from the scenario's state to write a command. */
export interface Ctx {
  pid(proc: string): number;
  /** The address bound to `$name`, or 0. */
  addr(name: string): number;
}

function hex(s: string): string {
  return s.length === 0 ? "-" : Buffer.from(s, "latin1").toString("hex");
}

function num(a: Arg | undefined): number {
  if (a === undefined) return 0;
  if (a.k === "num") return a.v;
  if (a.k === "sym") return symValue(a, {});
  return 0;
}

function addrOf(a: Arg | undefined, ctx: Ctx): number {
  if (a === undefined) return 0;
  if (a.k === "var") return ctx.addr(a.v);
  return a.k === "num" ? a.v : 0;
}

function sig(a: Arg | undefined): number {
  if (a === undefined) return 0;
  if (a.k === "num") return a.v;
  if (a.k === "sym" && typeof a.v[0] === "string") return signalByName(a.v[0]) ?? 0;
  return 0;
}

function path(a: Arg | undefined): string {
  return a?.k === "str" ? hex(a.v) : "-";
}

function fcntlArg(cmd: string, a: Arg | undefined, ctx: Ctx): number {
  if (a === undefined) return 0;
  switch (cmd) {
    case "F_SETLEASE": return symValue(a, U.LEASE_TYPES);
    case "F_SETSIG": return sig(a);
    case "F_SETOWN": return a.k === "sym" && typeof a.v[0] === "string" ? ctx.pid(a.v[0]) : num(a);
    case "F_SETFL": return openFlagValue(a);
    case "F_SETFD": return symValue(a, FD_FLAGS);
    default: return num(a);
  }
}

/** The agent command for a call step (not cat). */
export function command(s: CallStep, ctx: Ctx): string {
  const a = s.args;
  switch (s.name) {
    case "open": return `open ${path(a[0])} ${openFlagValue(a[1]!)} ${num(a[2])}`;
    case "openat": {
      const d = a[0]!;
      const dirfd = d.k === "sym" ? U.AT_FDCWD : num(d);
      return `openat ${dirfd} ${path(a[1])} ${openFlagValue(a[2]!)} ${num(a[3])}`;
    }
    case "close": case "dup": case "fsync": return `${s.name} ${num(a[0])}`;
    case "dup2": return `dup2 ${num(a[0])} ${num(a[1])}`;
    case "fork": return `fork ${s.expect?.k === "value" ? s.expect.text : "child"}`;
    case "clone": return `clone ${cloneFlags(a[0])} ${s.expect?.k === "value" ? s.expect.text : "child"}`;
    case "exit": return `exit ${num(a[0])}`;
    case "kill": return `kill ${ctx.pid(String((a[0] as Extract<Arg, { k: "sym" }>).v[0]))} ${sig(a[1])}`;
    case "read": return `read ${num(a[0])} ${num(a[2])} ${addrOf(a[1], ctx)}`;
    case "pread": case "pread64": return `pread ${num(a[0])} ${num(a[2])} ${addrOf(a[1], ctx)} ${num(a[3])}`;
    case "write": return `write ${num(a[0])} ${num(a[2])} ${a[1]?.k === "str" ? hex(a[1].v) : "-"} ${addrOf(a[1], ctx)}`;
    case "pwrite": case "pwrite64":
      return `pwrite ${num(a[0])} ${num(a[2])} ${a[1]?.k === "str" ? hex(a[1].v) : "-"} ${addrOf(a[1], ctx)} ${num(a[3])}`;
    case "truncate": return `truncate ${path(a[0])} ${num(a[1])}`;
    case "ftruncate": return `ftruncate ${num(a[0])} ${num(a[1])}`;
    case "fallocate": return `fallocate ${num(a[0])} ${symValue(a[1]!, U.FALLOC_FLAGS)} ${num(a[2])} ${num(a[3])}`;
    case "unlink": return `unlink ${path(a[0])}`;
    case "rename": return `rename ${path(a[0])} ${path(a[1])}`;
    case "mmap":
      return `mmap ${addrOf(a[0], ctx)} ${num(a[1])} ${symValue(a[2]!, U.PROT_FLAGS)} ${symValue(a[3]!, U.MAP_FLAGS)} ${num(a[4])} ${num(a[5])}`;
    case "munmap": return `munmap ${addrOf(a[0], ctx)} ${num(a[1])}`;
    case "fcntl": {
      const cmd = fcntlCmd(s)!;
      return `fcntl ${num(a[0])} ${U.FCNTL_CMDS[cmd]} ${fcntlArg(cmd, a[2], ctx)}`;
    }
    case "ioctl": return `ioctl ${num(a[0])} ${U.IOCTL_CMDS[(a[1] as Extract<Arg, { k: "sym" }>).v[0] as string]} ${num(a[2])}`;
    case "io_uring_setup": return `io_uring_setup ${num(a[0])}`;
    // socketpair FAMILY TYPE PROTOCOL; sendmsg FD HEXDATA FDS|- FLAGS; recvmsg FD SIZE FLAGS CONTROL
    case "execve": return "execve";
    case "pidfd_open": return `pidfd_open ${ctx.pid(String((a[0] as Extract<Arg, { k: "sym" }>).v[0]))} ${num(a[1])}`;
    case "pidfd_getfd": return `pidfd_getfd ${num(a[0])} ${num(a[1])} ${num(a[2])}`;
    case "socketpair": return `socketpair ${symValue(a[0]!, U.SOCK_FAMILIES)} ${symValue(a[1]!, U.SOCK_TYPES)} ${num(a[2])}`;
    case "sendmsg": {
      const m = readMsg(a[1], true);
      return `sendmsg ${num(a[0])} ${hex(m.data)} ${m.fds === null ? "-" : m.fds.length === 0 ? "," : m.fds.join(",")} ${symValue(a[2]!, U.MSG_FLAGS)}`;
    }
    case "recvmsg": {
      const m = readMsg(a[1], false);
      return `recvmsg ${num(a[0])} ${m.size} ${symValue(a[2]!, U.MSG_FLAGS)} ${m.fds === null ? 0 : 1}`;
    }
    case "io_uring_register_buffers": return `io_uring_register_buffers ${num(a[0])} ${addrOf(a[1], ctx)} ${num(a[2])}`;
    case "io_uring_unregister_buffers": return `io_uring_unregister_buffers ${num(a[0])}`;
    case "io_uring_read_fixed": case "io_uring_write_fixed":
      return `${s.name} ${num(a[0])} ${num(a[1])} ${addrOf(a[2], ctx)} ${num(a[3])} ${num(a[4])}`;
  }
  throw new Error(`the oracle does not run ${s.name}`);
}

/**
 * What a call's output parameters hold, from the agent's reply data: socketpair's is
 * "FD,FD", recvmsg's "FD,FD,...;BYTES", a read's the bytes.
 */
export function outParams(s: CallStep, data: string): { data: string; fds: number[] } {
  const list = (t: string) => (t === "" ? [] : t.split(",").map(Number));
  if (s.name === "socketpair") return { data: "", fds: list(data) };
  if (s.name === "recvmsg") {
    const cut = data.indexOf(";");
    return { data: data.slice(cut + 1), fds: list(data.slice(0, cut)) };
  }
  return { data, fds: [] };
}
