// Calls put back together (`<unfinished ...>` with its `<... resumed>`), and the first
// reading of the whole log: which process is which, what each exec'd, who forked whom.
import type { Ev, Ret } from "./strace.js";
import { fields, splitArgs, str, symbolic, num } from "./args.js";
import { PInfo, procName } from "./tables.js";
import { ScriptError } from "../scenario/error.js";

/** One call, from its start to its return. */
export interface Rec {
  name: string;
  /** The whole argument text (an unfinished call's part and its resumed part). */
  args: string;
  argCol: number;
  /** null: the log ends while the call is still running. */
  ret: Ret | null;
  dur: number | null;
  pid: number;
  /** Event indexes of its start and its return (the same for a call strace wrote on one line). */
  start: number;
  end: number;
  t0: number | null;
  t1: number | null;
  src: string;
  line: number;
  endLine: number;
}

export type Item = { k: "rec"; at: number; rec: Rec } | { k: "ev"; at: number; ev: Exclude<Ev, { k: "call" | "unfinished" | "resumed" }> };

/** The log as calls and other events, in the order their effect is known (a call at its return). */
export function records(events: Ev[]): Item[] {
  const out: Item[] = [];
  const pending = new Map<number, { ev: Extract<Ev, { k: "unfinished" }>; at: number }>();
  events.forEach((e, i) => {
    const pid = e.pid ?? 0;
    switch (e.k) {
      case "unfinished":
        pending.set(pid, { ev: e, at: i });
        return;
      case "resumed": {
        const p = pending.get(pid);
        // strace writes `<... x resumed>` only after `x(... <unfinished ...>` of the same process.
        if (p === undefined) throw new ScriptError(e.src, e.line, e.col, `${e.name} resumed, but this process has no ${e.name} written <unfinished ...> before it`);
        if (p.ev.name !== e.name) throw new ScriptError(e.src, e.line, e.col, `${e.name} resumed, but the unfinished call of this process is ${p.ev.name} (line ${p.ev.line})`);
        pending.delete(pid);
        const startEv = p.ev;
        out.push({ k: "rec", at: i, rec: {
          name: e.name, args: startEv.args + e.args, argCol: startEv.argCol, ret: e.ret, dur: e.dur, pid,
          start: p.at, end: i, t0: startEv.t, t1: e.t, src: e.src, line: startEv.line, endLine: e.line,
        } });
        return;
      }
      case "call":
        out.push({ k: "rec", at: i, rec: {
          name: e.name, args: e.args, argCol: e.argCol, ret: e.ret, dur: e.dur, pid, start: i, end: i,
          t0: e.t, t1: e.t !== null && e.dur !== null ? e.t + e.dur : e.t, src: e.src, line: e.line, endLine: e.line,
        } });
        return;
      default:
        out.push({ k: "ev", at: i, ev: e });
    }
  });
  // Calls still running when the log ends.
  for (const [pid, p] of pending)
    out.push({ k: "rec", at: events.length, rec: {
      name: p.ev.name, args: p.ev.args, argCol: p.ev.argCol, ret: null, dur: null, pid, start: p.at, end: events.length,
      t0: p.ev.t, t1: null, src: p.ev.src, line: p.ev.line, endLine: p.ev.line,
    } });
  return out;
}

export const CLONE_VM = 0x100, CLONE_FILES = 0x400, CLONE_VFORK = 0x4000, CLONE_THREAD = 0x10000;
const CLONE_NAMES: Record<string, number> = { CLONE_VM, CLONE_FILES, CLONE_VFORK, CLONE_THREAD };

/** The CLONE_ flags of a clone/clone3/fork/vfork call. */
export function cloneFlags(r: Rec): number {
  if (r.name === "fork") return 0;
  if (r.name === "vfork") return CLONE_VM | CLONE_VFORK;
  const args = splitArgs(r.args, 0);
  let text: string | undefined;
  if (r.name === "clone3") text = fields(args[0]?.text ?? "").get("flags");
  else text = args.map((a) => a.text).find((t) => t.startsWith("flags="))?.slice(6) ?? args[1]?.text;
  let v = 0;
  for (const part of symbolic(text ?? "0").split("|")) {
    const n = num(part);
    v |= n !== null ? n : CLONE_NAMES[part.trim()] ?? 0;
  }
  return v;
}

export function isClone(name: string): boolean {
  return name === "clone" || name === "clone3" || name === "fork" || name === "vfork";
}

/** What the first reading finds. */
export interface Census {
  /** Every pid (thread) -> its process. */
  byPid: Map<number, PInfo>;
  procs: PInfo[];
  /** Addresses of anonymous memory the program hands to a kept call (io_uring buffers). */
  anonUsed: Set<number>;
}

function basename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1) || p;
}

/** Processes, threads, names (given by pid, or what each last exec'd), uids, and which died of a signal they did not catch. */
export function census(items: Item[], names: Record<number, string> = {}): Census {
  const byPid = new Map<number, PInfo>();
  const procs: PInfo[] = [];
  const exec = new Map<PInfo, string>();
  const anonUsed = new Set<number>();
  const make = (pid: number, parent: PInfo | null, bornAt: number): PInfo => {
    const p: PInfo = {
      pid, name: "", parent, fdt: null, mm: null, bornAt, forked: false, born: parent === null, uid: null, sigDefault: false, cwd: null,
      used: false, exited: false, threads: new Set([pid]),
    };
    byPid.set(pid, p);
    procs.push(p);
    return p;
  };
  const procOf = (pid: number) => byPid.get(pid) ?? make(pid, null, -1);
  for (const it of items) {
    if (it.k === "ev") {
      const p = procOf(it.ev.pid ?? 0);
      if (it.ev.k === "killed" && it.ev.sig !== "SIGKILL") p.sigDefault = true;
      continue;
    }
    const r = it.rec;
    const p = procOf(r.pid);
    if (isClone(r.name) && r.ret !== null) {
      const child = Number(r.ret.val);
      if (Number.isInteger(child) && child > 0 && !byPid.has(child)) {
        if (cloneFlags(r) & CLONE_THREAD) { byPid.set(child, p); p.threads.add(child); }
        else make(child, p, r.start);
      }
    }
    if ((r.name === "execve" || r.name === "execveat") && r.ret?.val === "0") {
      const a = splitArgs(r.args, 0)[r.name === "execve" ? 0 : 1];
      const s = a === undefined ? null : str(a.text);
      if (s !== null) exec.set(p, basename(s.v));
    }
    if ((r.name === "getuid" || r.name === "geteuid") && p.uid === null && r.ret !== null && /^\d+$/.test(r.ret.val)) p.uid = Number(r.ret.val);
    if (r.name === "io_uring_register") {
      for (const m of r.args.matchAll(/iov_base=(0x[0-9a-f]+)/g)) anonUsed.add(parseInt(m[1]!.slice(2), 16));
    }
  }
  const taken = new Set<string>();
  for (const p of procs) {
    const given = names[p.pid];
    if (given !== undefined) { p.name = procName(given, taken); continue; }
    const e = exec.get(p);
    if (e !== undefined) { p.name = procName(e, taken); continue; }
    if (p.parent === null) { p.name = procName("proc", taken); continue; }
    p.name = procName(`${p.parent.name}_child`, taken);
  }
  return { byPid, procs, anonUsed };
}
