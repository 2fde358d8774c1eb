// The import round trip: a script run on the kernel under strace (runOnKernel's `strace`
// option), its log imported back (`daxlease import`), and the two compared, process by
// process, step by step: the call, its arguments as the kernel got them (the agent's
// command: flags as numbers, names as pids, `$` names as the mappings they stand for),
// and its result, the kernel's in that run. docs/import.md, "The round trip".
import type { Arg, Scenario, Step } from "../scenario/ast.js";
import type { RunReport } from "../scenario/report.js";
import { command } from "./args.js";
import { runOnKernel, type AgentTrace } from "./index.js";
import { withoutBookkeeping } from "./strace.js";
import { importStrace, type Imported, type ImportOptions } from "../import/import.js";
import { parseScenario } from "../scenario/parse.js";

/** Script steps the round trip does not compare, and why (docs/import.md). */
export const LEFT_OUT: Record<string, string> = {
  cat: "cat(\"/proc/locks\") is read by the driver, not by a process of the script: no call in the log",
  io_uring_read_fixed: "no system call of its own: the agent maps the ring and calls io_uring_enter, which the importer does not turn back into it",
  io_uring_write_fixed: "no system call of its own: the agent maps the ring and calls io_uring_enter, which the importer does not turn back into it",
  sleep: "the driver waits, no process: the log, without timestamps, has no time",
  running: "a status step of a live process: the log says only how a process ended",
  dead: "a call of a process that was dead: the driver did not send it",
};

export interface RoundTrip {
  /** Script steps compared with the import. */
  compared: number;
  /** Script steps not compared, by LEFT_OUT key. */
  leftOut: Record<string, number>;
  /** `line N: P: what differs`; empty when the import gives back the script. */
  differences: string[];
}

type CallLike = Extract<Step, { k: "call" | "resumed" }>;

/** A call with its result, a blocked call and its `<... resumed>` as one. */
interface Item {
  proc: string; line: number; step: Extract<Step, { k: "call" }>; result: string; blocked: boolean;
  /** Blocked, and another process made a call before it returned: a log without timestamps shows that it waited. */
  seen: boolean;
  /** Lined up with a call of the other side. */
  paired?: boolean;
}
interface Sig { proc: string; line: number; gap: number; sigs: Map<string, Map<string, string>> | null }
interface Side { calls: Map<string, Item[]>; sigs: Sig[]; deaths: Map<string, { line: number; text: string }[]> }

/** `SIGIO {si_code=POLL_MSG, si_fd=3}, SIGUSR1` -> name -> fields. */
function parseSigs(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const m of text.matchAll(/(SIG[A-Z0-9+-]+)(?:\s*\{([^}]*)\})?/g)) {
    const f = new Map<string, string>();
    for (const kv of (m[2] ?? "").split(",")) {
      const [k, v] = kv.split("=").map((s) => s.trim());
      if (k && v !== undefined) f.set(k, v);
    }
    out.set(m[1]!, f);
  }
  return out;
}

/** Lines up two lists of calls by their names: pairs, and the calls of either side left alone (in order). */
function align(a: Item[], b: Item[]): [Item | null, Item | null][] {
  const key = (i: Item) => i.step.name.replace(/64$/, "") + (i.step.name === "fcntl" ? " " + (i.step.args[1]?.text ?? "") : "");
  const n = a.length, m = b.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      L[i]![j] = key(a[i]!) === key(b[j]!) ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const out: [Item | null, Item | null][] = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && key(a[i]!) === key(b[j]!)) out.push([a[i++]!, b[j++]!]);
    else if (j >= m || (i < n && L[i + 1]![j]! >= L[i]![j + 1]!)) out.push([a[i++]!, null]);
    else out.push([null, b[j++]!]);
  }
  return out;
}

/** One side's steps: `result(i)` is step i's result (the kernel's, or the import's expectation). */
function side(steps: Step[], result: (i: number) => string | null, leftOut: (key: string, s: Step) => void): Side {
  const calls = new Map<string, Item[]>();
  const sigs: Sig[] = [];
  const deaths = new Map<string, { line: number; text: string }[]>();
  const open = new Map<string, Item>();
  const list = (p: string) => { let l = calls.get(p); if (l === undefined) calls.set(p, (l = [])); return l; };
  steps.forEach((s, i) => {
    const r = result(i);
    switch (s.k) {
      case "sleep": leftOut("sleep", s); return;
      case "call": {
        if (LEFT_OUT[s.name] !== undefined) { leftOut(s.name, s); return; }
        for (const o of open.values()) if (o.proc !== s.proc) o.seen = true;
        const it: Item = { proc: s.proc, line: s.line, step: s, result: r ?? "", blocked: r === "...", seen: false };
        list(s.proc).push(it);
        if (it.blocked) open.set(s.proc, it);
        return;
      }
      case "resumed": {
        const it = open.get(s.proc);
        if (it !== undefined) { it.result = r ?? ""; open.delete(s.proc); }
        return;
      }
      case "signals":
        sigs.push({ proc: s.proc, line: s.line, gap: calls.get(s.proc)?.length ?? 0, sigs: r === null || r === "none" ? null : parseSigs(r) });
        return;
      case "status":
        if (r === null || !/^(exited|killed)/.test(r)) { leftOut("running", s); return; }
        (deaths.get(s.proc) ?? deaths.set(s.proc, []).get(s.proc)!).push({ line: s.line, text: r });
        return;
    }
  });
  return { calls, sigs, deaths };
}

function expectText(s: Step): string | null {
  if (s.k === "signals") return s.expect === "none" ? "none" : s.expect.map((e) => e.text).join(", ");
  if (s.k === "status") return s.expect;
  if (s.k !== "call" && s.k !== "resumed") return null;
  const e = (s as CallLike).expect;
  if (e === null) return null;
  return e.k === "blocks" ? "..." : e.k === "bind" ? "$" + e.name : e.text;
}

/** A write's bytes as the kernel gets them: the string, cut or padded with zeros to the count. */
function asKernelGetsIt(s: Extract<Step, { k: "call" }>): Extract<Step, { k: "call" }> {
  if (s.name !== "write" && s.name !== "pwrite" && s.name !== "pwrite64") return s;
  const b = s.args[1], n = s.args[2];
  if (b?.k !== "str" || n?.k !== "num") return s;
  const v = (b.v + "\0".repeat(Math.max(0, n.v - b.v.length))).slice(0, n.v);
  const args: Arg[] = [...s.args];
  args[1] = { ...b, v };
  return { ...s, args };
}

/**
 * Compares a script, its run on the kernel (`report`, whose steps are the script's, in
 * order) and the script imported from that run's log (`imported`, whose processes have
 * the script's names). Pure.
 */
export function compareRoundTrip(sc: Scenario, report: RunReport, imported: Scenario): RoundTrip {
  const leftOut: Record<string, number> = {};
  const differences: string[] = [];
  let compared = 0;
  if (report.steps.length !== sc.steps.length) return { compared, leftOut, differences: [`the run reports ${report.steps.length} steps of ${sc.steps.length}`] };
  const count = (k: string) => { leftOut[k] = (leftOut[k] ?? 0) + 1; };
  const script = side(sc.steps, (i) => report.steps[i]!.actual, (k) => count(k));
  const imp = side(imported.steps, (i) => expectText(imported.steps[i]!), () => {});
  const diff = (line: number, proc: string, what: string) => differences.push(`line ${line}: ${proc}: ${what}`);

  // Calls, in order, process by process, lined up by name (a longest common subsequence),
  // so that one call missing on either side is reported as that, not as a shift of all that follows.
  const pairs: [Item, Item][] = [];
  const names = new Set([...script.calls.keys(), ...imp.calls.keys()]);
  for (const p of names) {
    const want = script.calls.get(p) ?? [], got = imp.calls.get(p) ?? [];
    for (const [w, g] of align(want, got)) {
      if (w !== null && g !== null) { pairs.push([w, g]); w.paired = g.paired = true; continue; }
      // A call of a process that was dead was never sent.
      if (w !== null && w.result === "?" && w.step.name !== "exit") { count("dead"); continue; }
      if (w !== null) diff(w.line, p, `${w.step.text}: not in the import`);
      else diff(0, p, `the import has more: ${g!.step.text} (import line ${g!.line})`);
    }
  }

  // `$` names: the import's name for each of the script's, from the calls that bound them.
  // The importer names every mapping it keeps; a script may write the address instead (0x10000000).
  const varOf = new Map<string, string>();
  for (const [w, g] of pairs) if (/^(\$|0x)/.test(w.result) && g.result.startsWith("$")) varOf.set(g.result.slice(1), w.result.replace(/^\$/, ""));
  const ids = new Map<string, number>();
  const id = (k: string) => { if (!ids.has(k)) ids.set(k, ids.size + 1); return ids.get(k)!; };
  const ctxScript = { pid: (n: string) => id("proc " + n), addr: (v: string) => id("var " + v) };
  const ctxImport = {
    pid: (n: string) => id("proc " + n),
    addr: (v: string) => { const s = varOf.get(v); return s === undefined ? id(`import ${v}`) : s.startsWith("0x") ? parseInt(s, 16) : id("var " + s); },
  };
  const res = (r: string) => {
    if (!r.startsWith("$")) return r;
    const s = varOf.get(r.slice(1)) ?? r.slice(1);
    return s.startsWith("0x") ? s : "$" + s;
  };
  for (const [w, g] of pairs) {
    compared++;
    const cw = command(asKernelGetsIt(w.step), ctxScript), cg = command(asKernelGetsIt(g.step), ctxImport);
    if (cw !== cg) { diff(w.line, w.proc, `${w.step.text}: the import makes ${g.step.text} (import line ${g.line})`); continue; }
    if (w.step.name === "exit") continue; // no result: the process is gone
    const rw = w.result, rg = g.step.expect?.k === "bind" ? res(g.result) : g.result;
    // Still blocked when the script ended: the log has it unfinished, or ended by the process's death.
    if (rw === "..." && (rg === "..." || rg === "?")) continue;
    if (rw !== rg) diff(w.line, w.proc, `${w.step.text}: the kernel gave ${rw}, the import says ${rg} (import line ${g.line})`);
    // Whether a call waited is compared where another process made a call meanwhile: a wait that
    // only a timer ended leaves no trace in a log without timestamps, and one that only a death
    // or a signal it caused ended (an unhandled SIGIO) may be shorter than the driver's grace period.
    else if ((w.blocked && w.seen && !g.blocked) || (!w.blocked && g.blocked && g.seen)) diff(w.line, w.proc, `${w.step.text}: ${w.blocked ? "blocked" : "did not block"} on the kernel, ${g.blocked ? "blocks" : "does not block"} in the import`);
  }

  // Signals: what a process caught between two of its calls (counting the calls both sides have), where the script looks.
  const anchor = (sd: Side, s: Sig) => (sd.calls.get(s.proc) ?? []).slice(0, s.gap).filter((c) => c.paired).length;
  for (const s of script.sigs) s.gap = anchor(script, s);
  for (const s of imp.sigs) s.gap = anchor(imp, s);
  const gaps = (sigs: Sig[]) => {
    const m = new Map<string, { line: number; sigs: Map<string, Map<string, string>> }>();
    for (const s of sigs) {
      const k = `${s.proc} ${s.gap}`;
      const e = m.get(k) ?? m.set(k, { line: s.line, sigs: new Map() }).get(k)!;
      for (const [n, f] of s.sigs ?? []) if (!e.sigs.has(n)) e.sigs.set(n, f);
    }
    return m;
  };
  const gi = gaps(imp.sigs);
  const seen = new Set<string>();
  for (const s of script.sigs) {
    compared++;
    const k = `${s.proc} ${s.gap}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const w = gaps(script.sigs.filter((x) => `${x.proc} ${x.gap}` === k)).get(k)!;
    const g = gi.get(k)?.sigs ?? new Map<string, Map<string, string>>();
    const nw = [...w.sigs.keys()].sort().join(", ") || "none", ng = [...g.keys()].sort().join(", ") || "none";
    if (nw !== ng) { diff(s.line, s.proc, `signals: the kernel delivered ${nw}, the import has ${ng}`); continue; }
    for (const [n, f] of w.sigs)
      for (const [field, v] of f) {
        const gv = g.get(n)?.get(field);
        if (gv !== undefined && gv !== v) diff(s.line, s.proc, `${n}: ${field}=${v} on the kernel, ${field}=${gv} in the import`);
      }
  }

  // How each process ended, where the script looks.
  for (const [p, ds] of script.deaths) {
    const g = imp.deaths.get(p)?.[0]?.text ?? "running";
    for (const d of ds) {
      compared++;
      if (d.text !== g) diff(d.line, p, `the kernel says ${d.text}, the import ${g}`);
    }
  }
  return { compared, leftOut, differences };
}

export interface TracedRun {
  report: RunReport;
  /** null when the kernel skipped the script (report.skipped says why). */
  trace: AgentTrace | null;
  imported: Imported | null;
  result: RoundTrip | null;
}

/** The importer's options for a traced run: the script's mounts, and the agents' names for their pids. */
export function importOptions(sc: Scenario, names: Record<number, string>): ImportOptions {
  return {
    name: sc.name,
    fs: sc.mounts.map((m) => ({ path: m.path, type: m.type, dax: m.dax, size: m.size })),
    procNames: names,
    leaseBreakTime: sc.leaseBreakTime ?? undefined,
  };
}

/** Imports a traced run's log (`full`: with the agents' bookkeeping, which is taken out here) and compares it with the script and its run. */
export function compareTrace(sc: Scenario, report: RunReport, t: Pick<AgentTrace, "full" | "names">): { imported: Imported; result: RoundTrip } {
  const log = withoutBookkeeping(t.full).text;
  const imported = importStrace([{ name: `${sc.name}.strace`, text: log }], importOptions(sc, t.names));
  return { imported, result: compareRoundTrip(sc, report, parseScenario(imported.text, `${sc.name}.imported.scn`)) };
}

/** Runs `sc` on the kernel under strace, imports the log, and compares. */
export async function roundTrip(sc: Scenario): Promise<TracedRun> {
  let trace: AgentTrace | null = null;
  const report = await runOnKernel(sc, { strace: (t) => { trace = t; } });
  const t = trace as AgentTrace | null;
  if (report.skipped !== undefined || t === null) return { report, trace: t, imported: null, result: null };
  return { report, trace: t, ...compareTrace(sc, report, t) };
}
