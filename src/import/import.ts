// `daxlease import`: an strace log becomes a scenario script. Each call the model has, on
// a file the script is about, becomes a step with the log's result as its expectation;
// descriptors are renumbered as the model will number them, addresses become `$` names,
// pids become process names; everything else becomes a comment, and a summary ends it.
// Pure: no Node imports (the playground will run it in a browser).
import { readLog, type Ev, type LogSource, type LogInfo } from "./strace.js";
import { records, census, type Item, type Rec } from "./records.js";
import { planMounts, interesting, sizeText, DEVICES, type FsSpec, type HostMount, type MountPlan } from "./mounts.js";
import { FdTable, Mm, normPath, type PInfo } from "./tables.js";
import { convertCall, type Conv, type Ctx } from "./calls.js";
import { signalOf } from "./values.js";
import { parseScenario } from "../scenario/parse.js";
import { ScriptError } from "../scenario/error.js";
import { defaultIgnored } from "../kernel/include/signal_names.js";

export type { LogSource } from "./strace.js";
export type { FsSpec, HostMount } from "./mounts.js";

export interface ImportOptions {
  /** The scenario's name (default: from the first log's name). */
  name?: string;
  /** The mounts the program's files live on (--fs); without any, they are inferred. */
  fs?: FsSpec[];
  /** This machine's mount table, to guess the type of an inferred mount. */
  hostMounts?: HostMount[];
  /** Real path prefix -> the path the script gives it (e.g. the oracle's directory -> /mnt/pmem). */
  rename?: [string, string][];
  /** @sysctl fs.lease-break-time. */
  leaseBreakTime?: number;
  /** Names for pids (e.g. the oracle's agents, which exec nothing): pid -> process name. */
  procNames?: Record<number, string>;
}

export interface Imported {
  text: string;
  summary: string[];
  /** Scenario line -> `LOG:LINE` of the log line it stands for. */
  origin: Map<number, string>;
}

/** A line of the script, and the log line it stands for. */
interface Line { text: string; ref: string | null }

/** One line of output, placed at the position (event index) of what it stands for. */
interface Out {
  pos: number;
  seq: number;
  proc: PInfo | null;
  kind: "step" | "noise" | "note" | "sleep";
  text: string;
  result: string | null;
  t: number | null;
  ref: string;
  /** A call that may have waited: where it returned. */
  end?: { pos: number; t: number | null; ref: string };
  isCall: boolean;
  /** A signal line: the signals, merged with a following one of the same process. */
  sigs?: string[];
  /** noise: the call's name, for the grouped comment. */
  noise?: string;
}

/** Calls that can wait on today's kernel, which wrote the log: a lease break, a DAX layout wait. */
const MAY_WAIT = new Set(["open", "openat", "creat", "truncate", "ftruncate", "fallocate"]);

export function importStrace(sources: LogSource[], opts: ImportOptions = {}): Imported {
  return new Importer(sources, opts).run();
}

class Importer implements Ctx {
  readonly fs: FsSpec[];
  private info!: LogInfo;
  private items!: Item[];
  readonly byPid = new Map<number, PInfo>();
  private procs: PInfo[] = [];
  anonUsed = new Set<number>();
  plan!: MountPlan;
  private outs: Out[] = [];
  private seq = 0;
  private nextVar = 1;
  /** Per file: what the log says about it before the program changed it. */
  readonly files = new Map<string, { existed: boolean | null; size: number | null; sizeWhy: string; lower: number; mode: number | null; uid: number | null; changed: boolean }>();
  readonly notes = new Set<string>();
  private kept = new Map<string, number>();
  private dropped = new Map<string, number>();
  private cur!: Rec;
  private evCount = 0;

  constructor(private sources: LogSource[], private opts: ImportOptions) {
    this.fs = opts.fs ?? [];
  }

  run(): Imported {
    const { events, info } = readLog(this.sources);
    this.info = info;
    this.evCount = events.length;
    for (const n of info.notes) this.notes.add(n);
    this.items = records(events);
    if (info.perPidFiles && info.timestamps) this.stretch(events);
    const c = census(this.items, this.opts.procNames);
    this.procs = c.procs;
    for (const [k, v] of c.byPid) this.byPid.set(k, v);
    this.anonUsed = c.anonUsed;
    this.plan = planMounts(this.pathsOf(), this.fs, this.opts.hostMounts ?? []);
    for (const it of this.items) {
      if (it.k === "rec") this.rec(it.rec);
      else this.ev(it.ev, it.at);
    }
    return this.render();
  }

  /**
   * -ff writes each call on one line when it returns, stamped with its start: a call that
   * may have waited ends at start + its -T duration, or, without -T, before its process's next event.
   */
  private stretch(events: Ev[]) {
    let guessed = false;
    for (const it of this.items) {
      if (it.k !== "rec") continue;
      const r = it.rec;
      if (r.start !== r.end || r.t0 === null || !MAY_WAIT.has(r.name)) continue;
      let tEnd = Infinity;
      if (r.dur !== null) tEnd = r.t0 + r.dur;
      else for (let j = r.start + 1; j < events.length; j++) if (events[j]!.pid === r.pid) { tEnd = events[j]!.t!; break; }
      let j = r.start;
      while (j + 1 < events.length && events[j + 1]!.t! < tEnd) j++;
      if (j > r.start) { r.end = j; r.t1 = tEnd === Infinity ? null : tEnd; guessed ||= r.dur === null; }
    }
    if (guessed) this.notes.add("-ff without -T: whether a call waited for another process is guessed from its process's next call (trace with -T)");
  }

  // ---- Ctx: what the call conversions use ----

  rename(p: string): string {
    for (const [from, to] of this.opts.rename ?? []) {
      if (p === from) return to;
      if (p.startsWith(from + "/")) return to + p.slice(from.length);
    }
    return p;
  }

  /** A path the script is about, normalised and renamed; null if it is not one (or why it cannot be). */
  path(raw: string, cwd: string | null): { path: string; written: string } | { refused: string } | null {
    const n = normPath(raw, cwd);
    if (n === null) return interestingRelative(raw) ? { refused: `${raw} is relative and the log does not say the working directory (trace with -y)` } : null;
    const p = this.rename(n);
    if (!interesting(p, this.fs)) return null;
    const why = this.plan.refused.get(p);
    if (why !== undefined) return { refused: `${p}: ${why}` };
    // The step passes the path as the program did (`/mnt/s/c/.` is ENOTDIR, `/mnt/s/nope/../c` ENOENT):
    // renamed where its written prefix is renamed, normalised where it is relative or a rename needs it.
    const w = raw.startsWith("/") ? this.rename(raw) : p;
    return { path: p, written: w === raw && p !== n ? p : w };
  }

  proc(pid: number): PInfo {
    let p = this.byPid.get(pid);
    if (p === undefined) {
      // A pid the first reading did not meet (cannot happen: every event's pid is known).
      p = { pid, name: `pid${pid}`, parent: null, fdt: null, mm: null, bornAt: -1, forked: false, born: true, uid: null, sigDefault: false, cwd: null, used: false, exited: false, threads: new Set([pid]) };
      this.byPid.set(pid, p);
      this.procs.push(p);
    }
    return p;
  }

  tableOf(p: PInfo): FdTable {
    this.birth(p);
    if (p.fdt === null) p.fdt = p.parent !== null && p.forked ? (this.tableOf(p.parent).clone()) : new FdTable();
    return p.fdt;
  }

  mmOf(p: PInfo): Mm {
    this.birth(p);
    if (p.mm === null) p.mm = p.parent !== null && p.forked ? this.mmOf(p.parent).clone() : new Mm();
    return p.mm;
  }

  /** A child is forked in the script when its parent has descriptors or mappings the script knows (it shares them); else it is a @proc of its own. */
  birth(p: PInfo): void {
    if (p.born) return;
    p.born = true;
    const parent = p.parent!;
    const fdt = this.tableOf(parent), mm = this.mmOf(parent);
    p.forked = [...fdt.map.values()].some((f) => f.kind !== "proc") || mm.maps.length > 0;
  }

  diesAfter(r: Rec): boolean {
    for (const it of this.items) {
      if (it.at <= r.end) continue;
      if (it.k === "rec" && it.rec.pid === r.pid && it.rec.start > r.end) return false;
      if (it.k === "ev" && (it.ev.pid ?? 0) === r.pid) return it.ev.k === "killed";
    }
    return false;
  }

  newVar(): string {
    return `m${this.nextVar++}`;
  }

  file(path: string) {
    let f = this.files.get(path);
    if (f === undefined) {
      f = { existed: null, size: null, sizeWhy: "", lower: 0, mode: null, uid: null, changed: false };
      this.files.set(path, f);
    }
    return f;
  }

  ref(line = this.cur.line): string {
    return `${label(this.cur.src)}:${line}`;
  }

  /** Places a line at the current call's start. */
  emit(proc: PInfo | null, kind: Out["kind"], text: string, result: string | null, extra: Partial<Out> = {}): void {
    this.outs.push({ pos: this.cur.start, seq: this.seq++, proc, kind, text, result, t: this.cur.t0, ref: this.ref(), isCall: kind === "step", ...extra });
  }

  // ---- the walk ----

  private rec(r: Rec) {
    this.cur = r;
    const p = this.proc(r.pid);
    const conv: Conv = convertCall(this, p, r);
    switch (conv.k) {
      case "noise":
        this.emit(p, "noise", "", null, { noise: r.name });
        return;
      case "drop":
        this.count(this.dropped, r.name);
        this.emit(p, "note", `${p.name}: ${r.name}(${short(r.args)})${r.ret === null ? "" : ` = ${retText(r)}`}  -- ${conv.why}`, null);
        return;
      case "steps":
        for (const s of conv.steps) {
          if (s.note !== undefined) this.notes.add(s.note);
          if (s.name === "sleep") {
            this.outs.push({ pos: r.end, seq: this.seq++, proc: null, kind: "sleep", text: s.text, result: null, t: r.t1, ref: this.ref(r.endLine), isCall: false });
            continue;
          }
          if (s.name !== "exit") p.used = true;
          for (const q of s.uses ?? []) q.used = true;
          const wait = s.mayWait && r.start !== r.end && MAY_WAIT.has(r.name)
            ? { pos: r.end, t: r.t1, ref: this.ref(r.endLine) } : undefined;
          this.emit(p, "step", s.text, s.result, { end: wait });
        }
        return;
    }
  }

  private ev(e: Extract<Item, { k: "ev" }>["ev"], at: number) {
    const p = this.proc(e.pid ?? 0);
    const base = { pos: at, seq: this.seq++, proc: p, t: e.t, ref: `${label(e.src)}:${e.line}`, result: null, isCall: false };
    if (e.k === "signal") {
      const s = signalOf(e.name);
      if (s === null || defaultIgnored(s.num)) {
        this.outs.push({ ...base, kind: "noise", text: "", noise: e.name });
        return;
      }
      if (s.name === null) {
        this.outs.push({ ...base, kind: "note", text: `${p.name}: --- ${e.name} ---  -- glibc keeps signals 32 and 33; the model does not deliver them` });
        return;
      }
      this.outs.push({ ...base, kind: "step", text: "", sigs: [s.name + sigFields(e.info, (fd) => p.fdt?.map.get(fd)?.m ?? null)] });
      return;
    }
    if (p.pid !== (e.pid ?? 0)) return; // a thread's end; its process goes on
    p.exited = true;
    const text = e.k === "exited" ? `+++ exited with ${e.code} +++` : `+++ killed by ${signalOf(e.sig)?.name ?? e.sig} +++`;
    this.outs.push({ ...base, kind: "step", text });
  }

  private count(m: Map<string, number>, k: string) {
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  /** Every path a kept call could name, for the mount plan. */
  private pathsOf(): Set<string> {
    const out = new Set<string>();
    const PATH_ARG: Record<string, number[]> = {
      open: [0], creat: [0], openat: [1], truncate: [0], unlink: [0], unlinkat: [1], rename: [0, 1], renameat: [1, 3], renameat2: [1, 3],
    };
    for (const it of this.items) {
      if (it.k !== "rec") continue;
      const idx = PATH_ARG[it.rec.name];
      if (idx === undefined) continue;
      const m = /^"((?:[^"\\]|\\.)*)"/;
      const parts = splitTop(it.rec.args);
      for (const i of idx) {
        const a = parts[i];
        if (a === undefined) continue;
        const s = m.exec(a);
        if (s === null) continue;
        let cwd: string | null = null;
        const dir = parts[i - 1];
        if (dir !== undefined) cwd = /<(\/[^>]*)>\s*$/.exec(dir)?.[1] ?? null;
        const n = normPath(unescape(s[1]!), cwd);
        if (n === null) continue;
        const p = this.rename(n);
        if (interesting(p, this.fs) && !DEVICES.has(p)) out.add(p);
      }
    }
    return out;
  }

  // ---- the script ----

  private render(): Imported {
    // Steps of processes that are not in the script (nothing of theirs was kept) become comments.
    for (const o of this.outs) {
      if (o.kind !== "step" || inScript(o.proc)) continue;
      o.kind = "noise";
      o.noise = o.sigs !== undefined ? o.sigs.map(sigName).join(", ") : o.isCall ? callName(o.text) : "exit";
      o.end = undefined;
    }
    const lines: Out[] = [];
    // A call that returned after another process's step: written `...` there, and resumed where it returned.
    for (const o of this.outs) {
      if (o.end !== undefined && o.kind === "step") {
        const between = this.outs.filter((x) => x.kind === "step" && x.pos > o.pos && x.pos <= o.end!.pos);
        // Another process's call, or its end (which closes its files), may have woken it.
        const waited = between.some((x) => x.proc !== o.proc && (x.isCall || x.text.startsWith("+++"))) && !between.some((x) => x.proc === o.proc && x.isCall);
        if (waited) {
          lines.push({ ...o, result: "...", end: undefined });
          lines.push({ ...o, pos: o.end.pos, seq: 1e15 + o.seq, t: o.end.t, ref: o.end.ref, text: `<... ${callName(o.text)} resumed>`, end: undefined, isCall: false });
          continue;
        }
      }
      lines.push(o);
    }
    lines.sort((a, b) => a.pos - b.pos || a.seq - b.seq);
    const body: Line[] = [];
    let lastT: number | null = null;
    let run: Out[] = [];
    let lastSig: { proc: PInfo | null; line: Line; sigs: string[] } | null = null;
    for (const o of lines) {
      if (o.kind === "noise") { run.push(o); continue; }
      this.noiseRun(run, body);
      run = [];
      if (o.kind === "note") { body.push({ text: `# ${o.ref} ${o.text}`, ref: null }); continue; }
      if (this.info.timestamps && o.t !== null) {
        if (lastT !== null && o.t - lastT >= 0.01) {
          body.push({ text: `sleep ${Math.floor((o.t - lastT) * 1000)}ms`, ref: null });
          lastSig = null;
        }
        lastT = o.t;
      }
      if (o.kind === "sleep") { body.push({ text: o.text, ref: o.ref }); lastSig = null; continue; }
      if (o.sigs !== undefined) {
        // Signals that arrive together are one line: the script checks the distinct signals since the last line.
        if (lastSig !== null && lastSig.proc === o.proc) {
          for (const s of o.sigs) if (!lastSig.sigs.some((x) => sigName(x) === sigName(s))) lastSig.sigs.push(s);
          lastSig.line.text = `${o.proc!.name}: --- ${lastSig.sigs.join(", ")} ---`;
          continue;
        }
        const line = { text: `${o.proc!.name}: --- ${o.sigs.join(", ")} ---`, ref: o.ref };
        body.push(line);
        lastSig = { proc: o.proc, line, sigs: [...o.sigs] };
        continue;
      }
      lastSig = null;
      if (o.isCall) this.count(this.kept, callName(o.text));
      const res = o.result === null ? "" : o.result === "..." ? " ..." : ` = ${o.result}`;
      body.push({ text: `${o.proc!.name}: ${o.text}${res}`, ref: o.ref });
    }
    this.noiseRun(run, body);
    return this.finish(body);
  }

  /** Calls and signals left out, between two kept lines: one comment per process. */
  private noiseRun(run: Out[], body: Line[]) {
    const byProc = new Map<PInfo | null, Out[]>();
    for (const o of run) byProc.set(o.proc, [...(byProc.get(o.proc) ?? []), o]);
    for (const [proc, os] of byProc) {
      const counts = new Map<string, number>();
      for (const o of os) {
        counts.set(o.noise!, (counts.get(o.noise!) ?? 0) + 1);
        this.count(this.dropped, o.noise!);
      }
      const list = [...counts].map(([n, c]) => (c > 1 ? `${n} x${c}` : n)).join(", ");
      const from = os[0]!.ref, to = os[os.length - 1]!.ref;
      const [fs, fl] = [from.slice(0, from.lastIndexOf(":")), from.slice(from.lastIndexOf(":") + 1)];
      const range = from === to ? from : to.startsWith(fs + ":") ? `${fs}:${fl}-${to.slice(fs.length + 1)}` : `${from}..${to}`;
      body.push({ text: `# ${proc?.name ?? "?"}: ${os.length} left out: ${wrapList(list)}  (${range})`, ref: null });
    }
  }

  private header(): string[] {
    const out: string[] = [];
    const name = (this.opts.name ?? this.sources[0]!.name.replace(/^.*\//, "").replace(/\.[^.]*$/, "")).replace(/[^A-Za-z0-9._-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") || "imported";
    out.push(`@scenario ${name}`);
    if (this.opts.leaseBreakTime !== undefined) out.push(`@sysctl fs.lease-break-time=${this.opts.leaseBreakTime}`);
    const need = new Map<string, number>();
    for (const [path, f] of this.files) {
      if (f.existed !== true) continue;
      const mnt = [...this.plan.mounts.keys()].find((m) => path.startsWith(m + "/"));
      if (mnt !== undefined) need.set(mnt, (need.get(mnt) ?? 0) + Math.ceil(Math.max(f.size ?? f.lower, 0) / 4096) * 4096);
    }
    const used = new Set<string>();
    for (const [path] of this.files) for (const m of this.plan.mounts.keys()) if (path === m || path.startsWith(m + "/")) used.add(m);
    for (const [m, d] of this.plan.mounts) {
      if (!used.has(m)) continue;
      const want = Math.max(64 << 20, Math.ceil(((need.get(m) ?? 0) * 2 + (1 << 20)) / (1 << 20)) * (1 << 20));
      let size = d.size ?? want;
      if (d.size !== null && d.size < (need.get(m) ?? 0) + 16 * 4096) {
        this.notes.add(`${m}: size=${sizeText(d.size)} cannot hold the files the log shows; the script says size=${sizeText(want)}`);
        size = want;
      }
      out.push(`@fs ${m} type=${d.type}${d.dax !== "never" ? ` dax=${d.dax}` : ""} size=${sizeText(size)}  # ${d.why}`);
    }
    for (const [path, f] of [...this.files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (f.existed !== true || DEVICES.has(path)) continue;
      const size = f.size ?? f.lower;
      const why = f.size !== null ? f.sizeWhy : f.lower > 0 ? `size at least ${f.lower} (${f.sizeWhy}); the log does not say more` : "size not in the log (trace with -v, or fstat it)";
      out.push(`@file ${path} size=${size}${f.uid ? ` uid=${f.uid}` : ""}${f.mode !== null && f.mode !== 0o644 ? ` mode=0${f.mode.toString(8)}` : ""}  # ${why}`);
    }
    for (const p of this.procs) {
      if (!inScript(p) || p.forked) continue;
      out.push(`@proc ${p.name}${p.uid ? ` uid=${p.uid}` : ""}${p.sigDefault ? " sig=default" : ""}  # pid ${p.pid}`);
    }
    return out;
  }

  private finish(body: Line[]): Imported {
    const head = this.header();
    const logName = this.sources.length === 1 ? this.sources[0]!.name : `${this.sources.length} per-process logs (${this.sources.map((s) => s.name).join(", ")})`;
    const all: Line[] = [
      { text: `# Imported by daxlease import from ${logName}.`, ref: null },
      { text: "# Each step is a call of the log, with the log's result as its expectation; `# LOG:LINE` says which.", ref: null },
      { text: "# `# NAME: N left out` counts calls and signals the model does not have, or that touch nothing of the script.", ref: null },
      ...head.map((text) => ({ text, ref: null })),
      { text: "", ref: null },
      ...body,
    ];
    // What the parser refuses (a case the importer did not foresee) becomes a comment, never a crash.
    for (let tries = 0; tries < 200; tries++) {
      const text = all.map((l) => (l.ref === null ? l.text : `${l.text}  # ${l.ref}`)).join("\n") + "\n";
      try {
        parseScenario(text, "import.scn");
        break;
      } catch (e) {
        if (!(e instanceof ScriptError)) throw e;
        const l = all[e.line - 1];
        if (l === undefined || l.text.startsWith("@scenario")) throw e;
        this.notes.add(`a line the script could not keep became a comment: ${e.why}`);
        l.text = `# (left out: ${e.why}) ${l.text}`;
      }
    }
    const summary = this.summary();
    const origin = new Map<number, string>();
    all.forEach((l, i) => { if (l.ref !== null) origin.set(i + 1, l.ref); });
    const text = all.map((l) => (l.ref === null ? l.text : `${l.text}  # ${l.ref}`)).join("\n") + "\n\n" + summary.map((s) => `# ${s}`).join("\n") + "\n";
    return { text, summary, origin };
  }

  private summary(): string[] {
    const list = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([n, c]) => `${n} ${c}`).join(", ");
    const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
    const out: string[] = [];
    const procs = this.procs.filter(inScript);
    out.push(`summary: ${this.evCount} events read; ${procs.length} ${procs.length === 1 ? "process" : "processes"} in the script (${procs.map((p) => `${p.name} = pid ${p.pid}`).join(", ") || "none"})`);
    out.push(`kept ${total(this.kept)} calls: ${list(this.kept) || "none"}`);
    out.push(`left out ${total(this.dropped)} calls and signals: ${wrapList(list(this.dropped)) || "none"}`);
    const files = [...this.files].filter(([p]) => !DEVICES.has(p)).sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([p, f]) => `${p} (${f.existed === true ? `existed, ${f.size !== null ? `${f.size} bytes: ${f.sizeWhy}` : `size unknown, at least ${f.lower}`}` : f.existed === false ? "made by the program" : "existence unknown"})`);
    out.push(`files: ${files.join("; ") || "none"}`);
    const mounts = [...this.plan.mounts].map(([m, d]) => `${m} ${d.type}${d.dax !== "never" ? ` dax=${d.dax}` : ""} (${d.why})`);
    out.push(`mounts: ${mounts.join("; ") || "none"}`);
    for (const [p, why] of this.plan.refused) out.push(`left out: ${p}: ${why}`);
    const fmt: string[] = [];
    if (this.info.perPidFiles) fmt.push("one log per process (-ff)");
    fmt.push(this.info.timestamps ? "timestamps (pauses of 10 ms or more become sleep steps)" : "no timestamps");
    if (this.info.durations) fmt.push("durations (-T)");
    out.push(`log: ${fmt.join(", ")}`);
    for (const n of this.notes) out.push(`note: ${n}`);
    return out;
  }
}

/** A process is in the script when it has a step of its own, or a written fork makes it. */
function inScript(p: PInfo | null): boolean {
  return p !== null && (p.used || (p.forked && p.parent !== null && inScript(p.parent)));
}

function interestingRelative(p: string): boolean {
  return !p.includes(".so") && !p.startsWith(".");
}

function short(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 90 ? t.slice(0, 87) + "..." : t;
}

function retText(r: Rec): string {
  const v = r.ret!;
  return v.errno !== null ? `${v.val} ${v.errno}` : v.val;
}

function wrapList(s: string): string {
  return s.length > 200 ? s.slice(0, 197) + "..." : s;
}

/** A log as line references name it: its file name without the directory. */
function label(src: string): string {
  return src.replace(/^.*\//, "");
}

function callName(text: string): string {
  return /^([a-z_0-9]+)\(/.exec(text)?.[1] ?? text;
}

function sigName(s: string): string {
  return s.split(" ")[0]!;
}

/** The siginfo fields a signal line checks: si_code when strace names one the model knows, si_fd renumbered. */
function sigFields(info: string, fdOf: (fd: number) => number | null): string {
  const parts: string[] = [];
  const code = /si_code=([A-Z_]+)\b/.exec(info)?.[1];
  if (code === "SI_KERNEL" || code === "SI_USER" || code === "POLL_MSG") parts.push(`si_code=${code}`);
  const fd = /si_fd=(\d+)/.exec(info)?.[1];
  if (fd !== undefined) {
    const m = fdOf(Number(fd));
    if (m !== null) parts.push(`si_fd=${m}`);
  }
  return parts.length ? ` {${parts.join(", ")}}` : "";
}

/** Top-level comma split without column bookkeeping (for the path pre-scan). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0, from = 0, inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) { if (c === "\\") i++; else if (c === '"') inStr = false; continue; }
    if (c === '"') inStr = true;
    else if (c === "(" || c === "{" || c === "[") depth++;
    else if (c === ")" || c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) { out.push(s.slice(from, i).trim()); from = i + 1; }
  }
  out.push(s.slice(from).trim());
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\\(.)/g, "$1");
}
