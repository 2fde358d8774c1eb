// Reads what `strace -f` writes, line by line, in the forms people capture: `[pid N]` or
// `N ` prefixes (or one file per pid, `-ff`), `-t`/`-tt`/`-ttt`/`-r` timestamps, `-T`
// durations, `-y`/`-yy` paths, `-X verbose|raw`, `<unfinished ...>`/`<... resumed>`,
// `--- SIG ---`, `+++ exited +++`, and strace's own `strace: Process N attached`.
// Pure: no Node imports. A line it cannot read is a ScriptError (LOG:LINE:COL).
import { ScriptError } from "../scenario/error.js";
import { ArgError, scanArgs } from "./args.js";

export interface LogSource {
  /** The name errors and line references use (a file name). */
  name: string;
  text: string;
  /** The pid of a `-ff` file (`trace.1234`): every line of it is that process's. */
  pid?: number;
}

export interface Ret {
  /** `3`, `0x7f...`, `?`; with the -y path and the comment stripped. */
  val: string;
  errno: string | null;
  /** strace's explanation: `(F_RDLCK)`, `(flags O_RDWR|O_LARGEFILE)`, `/* F_WRLCK * /`. */
  aux: string | null;
  /** `-y`: the path of a returned descriptor. */
  path: string | null;
}

interface EvBase {
  src: string;
  line: number;
  /** The process (thread) id; null for an unprefixed line of a multi-process log (resolved by readLog). */
  pid: number | null;
  /** Seconds (absolute, or the running sum of `-r` deltas); null without timestamps. */
  t: number | null;
}

export type Ev =
  | (EvBase & { k: "call"; name: string; args: string; argCol: number; ret: Ret; dur: number | null })
  | (EvBase & { k: "unfinished"; name: string; args: string; argCol: number })
  /** `col`: where `<...` stands, for an error about the call it resumes. */
  | (EvBase & { k: "resumed"; name: string; args: string; argCol: number; col: number; ret: Ret; dur: number | null })
  | (EvBase & { k: "signal"; name: string; info: string })
  | (EvBase & { k: "exited"; code: number })
  | (EvBase & { k: "killed"; sig: string });

function retOf(text: string, col: number, err: (col: number, msg: string) => never): { ret: Ret; dur: number | null } {
  let t = text.trim();
  let dur: number | null = null;
  const d = /\s*<(\d+\.\d+)>$/.exec(t);
  if (d) { dur = Number(d[1]); t = t.slice(0, d.index); }
  t = t.replace(/\s+\(INJECTED\)$/, "");
  let m = /^\?(?:\s+(E[A-Z0-9_]+)(?:\s+\(.*\))?)?$/.exec(t);
  if (m) return { ret: { val: "?", errno: m[1] ?? null, aux: null, path: null }, dur };
  m = /^-1\s+(E[A-Z0-9_]+|E\?\?\?)(?:\s+\((.*)\))?$/.exec(t);
  if (m) return { ret: { val: "-1", errno: m[1]!, aux: m[2] ?? null, path: null }, dur };
  m = /^(-?(?:0x[0-9a-fA-F]+|\d+))(?:<(.*?)>)?(?:\s+\((.*)\))?(?:\s+\/\*\s*(.*?)\s*\*\/)?$/.exec(t);
  if (m) return { ret: { val: m[1]!, errno: null, aux: m[3] ?? m[4] ?? null, path: m[2] ?? null }, dur };
  err(col, `cannot read the result ${JSON.stringify(t)}`);
}

/** Reads one source into events; pids of unprefixed lines stay null. `meta.relative`: its timestamps are -r deltas. */
export function parseSource(src: LogSource, meta: { relative: boolean | null } = { relative: null }): Ev[] {
  const out: Ev[] = [];
  const lines = src.text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let clock = 0;
  for (let n = 0; n < lines.length; n++) {
    let raw = lines[n]!.replace(/\r$/, "");
    const lineNo = n + 1;
    const err: (col: number, msg: string) => never = (col, msg) => { throw new ScriptError(src.name, lineNo, col, msg); };
    // strace's own notes, sometimes written into the middle of a line (stderr): cut them out.
    const note = /strace: (?:Process \d+ (?:attached|detached|suspended)|\[ Process PID=\d+ runs in .*? \])$/.exec(raw);
    if (note && note.index > 0 && n + 1 < lines.length) {
      raw = raw.slice(0, note.index) + lines[n + 1]!.replace(/\r$/, "");
      lines[n + 1] = "";
    } else if (note) continue;
    if (raw.trim() === "" || /^strace: /.test(raw)) continue;
    let i = 0;
    let pid: number | null = src.pid ?? null;
    let m = /^\[pid\s+(\d+)\]\s*/.exec(raw);
    if (m === null) m = /^(\d+)\s+(?=\S)/.exec(raw);
    if (m) { pid = Number(m[1]); i = m[0].length; }
    let t: number | null = null;
    const rest = raw.slice(i);
    const tm = /^\s*(?:(\d\d):(\d\d):(\d\d)(\.\d+)?|(\d+\.\d+))\s+/.exec(rest);
    if (tm) {
      if (tm[5] !== undefined) {
        const v = Number(tm[5]);
        if (meta.relative === null) meta.relative = v < 1e5;
        t = meta.relative ? (clock += v) : v;
      } else t = Number(tm[1]) * 3600 + Number(tm[2]) * 60 + Number(tm[3]) + (tm[4] ? Number(tm[4]) : 0);
      i += tm[0].length;
    }
    const body = raw.slice(i);
    const col = i + 1;
    const base = { src: src.name, line: lineNo, pid, t };
    if (body.startsWith("---")) {
      const s = /^--- (SIG[A-Z0-9_+-]+|stopped by \S+)\s*(\{.*\})?\s*---$/.exec(body);
      if (s === null) err(col, "cannot read this signal line (expected --- SIGNAL {...} ---)");
      if (s[1]!.startsWith("stopped")) continue;
      out.push({ ...base, k: "signal", name: s[1]!, info: s[2] ?? "" });
      continue;
    }
    if (body.startsWith("+++")) {
      const e = /^\+\+\+ exited with (\d+) \+\+\+$/.exec(body);
      if (e) { out.push({ ...base, k: "exited", code: Number(e[1]) }); continue; }
      const k = /^\+\+\+ killed by (SIG[A-Z0-9_+-]+)(?: \(core dumped\))? \+\+\+$/.exec(body);
      if (k) { out.push({ ...base, k: "killed", sig: k[1]! }); continue; }
      if (/^\+\+\+ superseded by execve in pid \d+ \+\+\+$/.test(body)) continue;
      err(col, "cannot read this line (expected +++ exited with N +++ or +++ killed by SIGNAL +++)");
    }
    const rs = /^<\.\.\. ([A-Za-z0-9_?]+) resumed>/.exec(body);
    if (rs) {
      const tail = body.slice(rs[0].length);
      const tailCol = col + rs[0].length;
      // Killed in the middle of a call: `<... open resumed> <unfinished ...>) = ?`.
      const killed = /^\s*<unfinished \.\.\.>\)\s*=\s*\?\s*$/.exec(tail);
      if (killed) {
        out.push({ ...base, k: "resumed", name: rs[1]!, args: "", argCol: tailCol, col, ret: { val: "?", errno: null, aux: null, path: null }, dur: null });
        continue;
      }
      let close: number;
      try { close = scanArgs(tail, 0); } catch (e) { if (e instanceof ArgError) err(tailCol + e.offset, e.message); throw e; }
      if (close < 0) err(tailCol, "a resumed call without its closing parenthesis");
      const r = /^\s*=\s*/.exec(tail.slice(close + 1));
      if (r === null) err(tailCol + close + 1, "expected = RESULT after the call");
      const { ret, dur } = retOf(tail.slice(close + 1 + r[0].length), tailCol + close + 1 + r[0].length, err);
      out.push({ ...base, k: "resumed", name: rs[1]!, args: tail.slice(0, close), argCol: tailCol, col, ret, dur });
      continue;
    }
    const cm = /^([A-Za-z_][A-Za-z0-9_]*|\?\?\?\?)\(/.exec(body);
    if (cm === null) err(col, "cannot read this line (expected a call, --- SIGNAL ---, +++ ... +++ or <... resumed>)");
    const open = cm[0].length;
    const unf = /\s*<(?:unfinished|detached) \.\.\.>\s*$/.exec(body);
    if (unf) {
      out.push({ ...base, k: "unfinished", name: cm[1]!, args: body.slice(open, unf.index), argCol: col + open });
      continue;
    }
    let close: number;
    try { close = scanArgs(body, open); } catch (e) { if (e instanceof ArgError) err(col + e.offset, e.message); throw e; }
    if (close < 0) err(col + open - 1, "the call's arguments do not close (a line cut short?)");
    const r = /^\s*=\s*/.exec(body.slice(close + 1));
    if (r === null) err(col + close + 1, "expected = RESULT after the call");
    const at = close + 1 + r[0].length;
    const { ret, dur } = retOf(body.slice(at), col + at, err);
    out.push({ ...base, k: "call", name: cm[1]!, args: body.slice(open, close), argCol: col + open, ret, dur });
  }
  return out;
}

/** What the log says about itself, for the summary and the importer's guesses. */
export interface LogInfo {
  timestamps: boolean;
  durations: boolean;
  perPidFiles: boolean;
  notes: string[];
}

/** pids returned by clone/fork/vfork/clone3 calls (and resumed ones). */
function childPid(e: Ev, calls: Map<string, string>): number | null {
  if (e.k !== "call" && e.k !== "resumed") return null;
  const name = e.k === "resumed" ? calls.get(`${e.pid}`) ?? e.name : e.name;
  if (!/^(clone|clone3|fork|vfork)$/.test(name)) return null;
  const v = Number(e.ret.val);
  return Number.isInteger(v) && v > 0 ? v : null;
}

/**
 * Reads every source and returns one stream of events in the order they happened, every
 * event with its pid. One source: the order written. Several (`-ff`): merged by timestamp,
 * or, without timestamps, each child's events after the call that created it.
 */
export function readLog(sources: LogSource[]): { events: Ev[]; info: LogInfo } {
  const metas = sources.map(() => ({ relative: null as boolean | null }));
  const parsed = sources.map((s, i) => parseSource(s, metas[i]));
  const info: LogInfo = {
    timestamps: parsed.every((p) => p.length === 0 || p.every((e) => e.t !== null)) && parsed.some((p) => p.length > 0),
    durations: parsed.some((p) => p.some((e) => (e.k === "call" || e.k === "resumed") && e.dur !== null)),
    perPidFiles: sources.length > 1,
    notes: [],
  };
  let events: Ev[];
  if (sources.length === 1) {
    events = parsed[0]!;
    resolveUnprefixed(events);
  } else {
    for (const s of sources)
      if (s.pid === undefined) throw new ScriptError(s.name, 1, 1, "several logs: each must be one process's (-ff), named LOG.PID");
    if (info.timestamps && metas.some((m) => m.relative)) {
      info.timestamps = false;
      info.notes.push("-ff with -r: each log's times are relative to its own lines, so they cannot be merged (trace with -ttt)");
    }
    if (info.timestamps) {
      events = parsed.flat().map((e, i) => ({ e, i })).sort((a, b) => a.e.t! - b.e.t! || a.i - b.i).map((x) => x.e);
    } else {
      info.notes.push("the per-process logs have no timestamps: the order between processes is guessed (trace with -ttt)");
      events = forkOrder(parsed);
    }
  }
  return { events, info };
}

/** Unprefixed lines (strace writes `[pid N]` only while it traces several processes). */
function resolveUnprefixed(events: Ev[]): void {
  let initial: number | null = null;
  const children = new Set<number>();
  const live = new Set<number>();
  const unfinished = new Map<string, string>();
  // First pass: the initial process's pid, from getpid()/set_tid_address() on its unprefixed lines, or the first prefixed pid no clone made.
  for (const e of events) {
    if (e.pid === null && initial === null && e.k === "call" && /^(getpid|gettid|set_tid_address)$/.test(e.name) && /^\d+$/.test(e.ret.val))
      initial = Number(e.ret.val);
    const c = childPid(e, unfinished);
    if (c !== null) children.add(c);
    if (e.pid !== null && initial === null && !children.has(e.pid)) initial = e.pid;
  }
  const ini = initial ?? 0;
  for (const e of events) {
    if (e.pid === null) e.pid = live.size === 1 ? [...live][0]! : ini;
    if (e.k === "exited" || e.k === "killed") live.delete(e.pid);
    else live.add(e.pid);
    const c = childPid(e, unfinished);
    if (c !== null) live.add(c);
    if (e.k === "unfinished") unfinished.set(`${e.pid}`, e.name);
  }
}

/** -ff without timestamps: the root's events, each child's spliced in after the call that made it. */
function forkOrder(parsed: Ev[][]): Ev[] {
  const byPid = new Map<number, Ev[]>();
  for (const p of parsed) if (p.length > 0) byPid.set(p[0]!.pid!, p);
  const made = new Set<number>();
  for (const p of parsed) for (const e of p) { const c = childPid(e, new Map()); if (c !== null) made.add(c); }
  const roots = [...byPid.keys()].filter((p) => !made.has(p)).sort((a, b) => a - b);
  const out: Ev[] = [];
  const done = new Set<number>();
  const walk = (pid: number) => {
    if (done.has(pid)) return;
    done.add(pid);
    for (const e of byPid.get(pid) ?? []) {
      out.push(e);
      const c = childPid(e, new Map());
      if (c !== null) walk(c);
    }
  };
  for (const r of roots) walk(r);
  for (const p of [...byPid.keys()].sort((a, b) => a - b)) walk(p);
  return out;
}
