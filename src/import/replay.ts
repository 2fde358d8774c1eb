// `daxlease replay`: an imported program under every policy. For each policy, the steps
// whose results differ from what the log shows (today's kernel), and the properties that
// fail, in sentences that point at the log's lines. Pure: no Node imports.
import type { Scenario } from "../scenario/ast.js";
import type { RunReport, StepReport } from "../scenario/report.js";
import { runOnModel } from "../run/model.js";
import { ALL } from "../policy/registry.js";

export interface Difference {
  line: number;
  /** `LOG:LINE` of the log line the step stands for, when the script says. */
  origin: string | null;
  proc: string | null;
  step: string;
  log: string | null;
  actual: string | null;
  sentence: string;
  /** Linux (the model of today's kernel) differs here in the same way: not this policy's doing. */
  asLinux: boolean;
}

export interface Failure { line: number; origin: string | null; property: string; detail: string; asLinux: boolean }

export interface Replay { policy: string; differences: Difference[]; failures: Failure[] }

/** `all`: every policy, and every value of each option (sticky,close=revoke ...). */
export function replayPolicies(spec: string): string[] {
  if (spec !== "all") return [spec];
  const out: string[] = [];
  for (const p of ALL) {
    out.push(p.name);
    for (const [k, vals] of Object.entries(p.options)) for (const v of vals.slice(1)) out.push(`${p.name},${k}=${v}`);
  }
  return out;
}

/** The `# LOG:LINE` at the end of each step line of an imported script. */
export function originsOf(text: string): Map<number, string> {
  const out = new Map<number, string>();
  text.split("\n").forEach((l, i) => {
    const m = /#\s*(\S+:\d+)\s*$/.exec(l);
    if (m !== null && !l.trimStart().startsWith("#")) out.set(i + 1, m[1]!);
  });
  return out;
}

function where(line: number, origin: Map<number, string>): string {
  const o = origin.get(line);
  return o !== undefined ? o : `line ${line}`;
}

/** A step as a sentence names it: the call with its arguments, cut short. */
function call(step: string): string {
  const m = /^<\.\.\. ([a-z_0-9]+) resumed>/.exec(step);
  if (m !== null) return m[1]!;
  return step.length > 60 ? step.slice(0, 57) + "..." : step;
}

/** What happened to a step, said plainly. */
export function sentence(s: StepReport, at: string): string {
  const who = s.proc ?? "the NIC";
  const a = s.actual ?? "", e = s.expected;
  if (s.step.startsWith("---")) {
    if (a === "none") return `${who} is not sent ${e} (${at})`;
    return e === "none" ? `${who} receives ${a} (${at}), where the log shows no signal` : `${who} receives ${a} (${at}), where the log shows ${e}`;
  }
  if (s.step.startsWith("+++")) return `${who} ends ${a === "running" ? "still running" : a} (${at}), where the log shows it ${e}`;
  const c = call(s.step);
  if (a === "...") return `${who}'s ${c} at ${at} waits${e !== null && e !== "..." ? `, where in the log it returned ${e}` : ""}`;
  if (a === "?") return `${who} is killed in its ${c} at ${at}${e !== null ? `, where the log shows ${e}` : ""}`;
  if (a.startsWith("-1 ")) return `${who} gets ${a.slice(3)} at ${at} (${c})${e !== null ? `, where the log shows ${e}` : ""}`;
  if (e === "...") return `${who}'s ${c} at ${at} returns ${a} at once, where in the log it waited`;
  return `${who}'s ${c} at ${at} returns ${a}${e !== null ? `, where the log shows ${e}` : ""}`;
}

/** Runs the script under each policy and compares every step with the log. */
export function replay(sc: Scenario, origin: Map<number, string>, policies: string[]): Replay[] {
  const linux = runOnModel(sc, "linux").report;
  const reports = policies.map((p) => (p === "linux" ? linux : runOnModel(sc, p).report));
  return reports.map((r) => judge(r, linux, origin));
}

function judge(r: RunReport, linux: RunReport, origin: Map<number, string>): Replay {
  const differences: Difference[] = [];
  /** Processes stuck in a call: their later steps do not happen, which one sentence says. */
  const stuck = new Map<string, Difference>();
  r.steps.forEach((s, i) => {
    if (s.ok) return;
    const l = linux.steps[i];
    const asLinux = r !== linux && l !== undefined && !l.ok && l.actual === s.actual;
    const first = s.proc === null ? undefined : stuck.get(s.proc);
    if (first !== undefined && (s.actual === "..." || s.actual === "running" || s.actual === "none")) {
      const n = Number(/\((\d+) later/.exec(first.sentence)?.[1] ?? 0) + 1;
      first.sentence = first.sentence.replace(/ \(\d+ later steps? of it do(?:es)? not happen\)$/, "") + ` (${n} later ${n === 1 ? "step of it does" : "steps of it do"} not happen)`;
      return;
    }
    const d: Difference = {
      line: s.line, origin: origin.get(s.line) ?? null, proc: s.proc, step: s.step, log: s.expected, actual: s.actual,
      sentence: sentence(s, where(s.line, origin)), asLinux,
    };
    differences.push(d);
    if (s.actual === "..." && s.proc !== null) stuck.set(s.proc, d);
  });
  const failures = (r.violations ?? []).map((v) => ({
    line: v.line, origin: origin.get(v.line) ?? null, property: v.property, detail: v.detail,
    asLinux: r !== linux && (linux.violations ?? []).some((x) => x.property === v.property && x.line === v.line),
  }));
  return { policy: r.policy, differences, failures };
}

/** The text answer: linux first (the model against the log itself), then each proposal. */
export function formatReplay(sc: Scenario, results: Replay[], origin: Map<number, string>): string {
  const procs = new Set(sc.steps.flatMap((s) => ("proc" in s ? [s.proc] : [])));
  const out: string[] = [`${sc.name}: ${sc.steps.length} steps of ${procs.size} ${procs.size === 1 ? "process" : "processes"}, replayed under ${results.length} ${results.length === 1 ? "policy" : "policies"}`];
  for (const r of results) {
    const own = r.differences.filter((d) => !d.asLinux);
    const ownF = r.failures.filter((f) => !f.asLinux);
    const same = r.differences.length - own.length + r.failures.length - ownF.length;
    const head = r.policy === "linux" ? "linux (today's kernel, as the model has it)" : r.policy;
    if (own.length === 0 && ownF.length === 0) {
      out.push(r.policy === "linux" ? `${head}: every step as in the log; no property fails.`
        : `${r.policy}: as under linux${same > 0 ? ` (${same} ${same === 1 ? "difference" : "differences"} from the log, the same as linux's)` : ": every step as in the log, no property fails"}.`);
      continue;
    }
    out.push(`${head}:`);
    if (r.policy === "linux" && own.length > 0)
      out.push("  (today's kernel, modelled, differs from the log: the script's mounts are not the traced ones (--fs), or the import or the model falls short)");
    for (const d of own) out.push(`  your program under ${r.policy}: ${d.sentence}.`);
    for (const f of ownF) out.push(`  ${f.property} fails at ${where(f.line, origin)}: ${f.detail}.`);
    if (same > 0) out.push(`  and ${same} more as under linux.`);
  }
  return out.join("\n");
}
