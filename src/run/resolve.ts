// Turns a call's written arguments into the raw values a syscall takes.
import type { Arg, Step } from "../scenario/ast.js";
import { CALLS, cloneFlags, openFlagValue, symValue, IBV_ACCESS_FLAGS, FD_FLAGS } from "../scenario/calls.js";
import { ScriptError } from "../scenario/error.js";
import * as U from "../kernel/include/uapi.js";
import { signalByName } from "../kernel/include/signal_names.js";
import type { SysArg } from "../kernel/entry.js";
import { readMsg } from "../scenario/msg.js";

export interface ResolveCtx {
  file: string;
  /** The value a `$name` is bound to; a name bound by a call that failed, or not yet, is NULL (0). */
  varValue(name: string): number;
  pidOf(name: string): number;
}

function fail(ctx: ResolveCtx, step: Step, a: Arg, msg: string): never {
  throw new ScriptError(ctx.file, step.line, a.col, msg);
}

function num(ctx: ResolveCtx, step: Step, a: Arg): number {
  if (a.k === "num") return a.v;
  if (a.k === "var") return ctx.varValue(a.v);
  if (a.k === "sym" && a.v.length === 1 && a.v[0] === "NULL") return 0;
  fail(ctx, step, a, "expected a number");
}

export function resolveArgs(ctx: ResolveCtx, step: Extract<Step, { k: "call" }>): SysArg[] {
  const sig = CALLS[step.name]!;
  let cmd = "";
  return step.args.map((a, i): SysArg => {
    switch (sig.args[i]!) {
      case "fd": case "int": case "mode": case "addr":
        return num(ctx, step, a);
      case "dirfd":
        return a.k === "sym" ? U.AT_FDCWD : num(ctx, step, a);
      case "path":
        return a.k === "str" ? a.v : "";
      case "buf":
        if (a.k === "var") fail(ctx, step, a, "a buffer from memory is not modelled yet; write the bytes as a string");
        return a.k === "str" ? a.v : "";
      case "rbuf":
        return a.k === "str" ? a.v : "";
      case "oflags":
        return openFlagValue(a);
      case "fcntlcmd":
        cmd = a.k === "sym" ? String(a.v[0]) : "";
        return U.FCNTL_CMDS[cmd] ?? -1;
      case "ioctlcmd":
        return U.IOCTL_CMDS[a.k === "sym" ? String(a.v[0]) : ""] ?? -1;
      case "fcntlarg":
        if (a.k === "num") return a.v;
        if (cmd === "F_SETLEASE") return symValue(a, U.LEASE_TYPES);
        if (cmd === "F_SETSIG") return signalByName(String((a as { v: unknown[] }).v[0])) ?? -1;
        if (cmd === "F_SETOWN") return ctx.pidOf(String((a as { v: unknown[] }).v[0]));
        if (cmd === "F_SETFL") return openFlagValue(a);
        if (cmd === "F_SETFD") return symValue(a, FD_FLAGS);
        if (cmd === "F_SETLAYOUT") return symValue(a, U.LEASE_TYPES);
        return num(ctx, step, a);
      case "proc":
        return ctx.pidOf(String((a as { v: unknown[] }).v[0]));
      case "sig":
        return a.k === "num" ? a.v : signalByName(String((a as { v: unknown[] }).v[0])) ?? -1;
      case "prot":
        return symValue(a, U.PROT_FLAGS);
      case "mapflags":
        return symValue(a, U.MAP_FLAGS);
      case "fallocmode":
        return symValue(a, U.FALLOC_FLAGS);
      case "handle":
        return num(ctx, step, a);
      case "ibvaccess":
        return symValue(a, IBV_ACCESS_FLAGS);
      case "str":
        return a.k === "str" ? a.v : "";
      case "sockfamily":
        return symValue(a, U.SOCK_FAMILIES);
      case "socktype":
        return symValue(a, U.SOCK_TYPES);
      case "fdpair":
        return 0; // an output, checked against the result
      case "msghdr": {
        // sendmsg: the bytes, a NUL, the descriptors passed ("-": no control message);
        // recvmsg: the room for bytes, and 1 when it gives room for descriptors.
        const m = readMsg(a, step.name === "sendmsg");
        return step.name === "sendmsg" ? m.data + "\0" + (m.fds?.join(",") ?? "-") : `${m.size} ${m.fds === null ? 0 : 1}`;
      }
      case "msgflags":
        return symValue(a, U.MSG_FLAGS);
      case "exepath":
        return a.k === "str" ? a.v : "";
      case "cloneflags":
        return cloneFlags(a);
      case "strarr":
        return 0; // argv: the program is the script's own, which reads none
    }
  });
}
