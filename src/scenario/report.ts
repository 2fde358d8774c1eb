// The result of running a scenario, shared by the model, the oracle and `diff`:
// the JSON object of the contract, and the judge that compares actual with expected.
import type { Expect, SigExpect, Step } from "./ast.js";
import { quoteBytes } from "./lex.js";
import type { SigInfo } from "../kernel/include/state.js";
import { signalName, SI_CODE_NAMES, signalByName } from "../kernel/include/signal_names.js";

export interface StepReport {
  line: number;
  proc: string | null;
  step: string;
  expected: string | null;
  actual: string | null;
  ok: boolean;
}

export interface Violation { line: number; property: string; detail: string }

export interface RunReport {
  scenario: string;
  policy: string;
  ok: boolean | null;
  steps: StepReport[];
  skipped?: string;
  /** The model's property monitors: the first step at which each property failed. */
  violations?: Violation[];
  /** `@expect` lines that did not come true. */
  expectFailures?: string[];
}

export type { SigInfo };

function expectText(e: Expect | null): string | null {
  if (e === null) return null;
  if (e.k === "blocks") return "...";
  if (e.k === "bind") return "$" + e.name;
  return e.text;
}

export function formatSigInfo(s: SigInfo, fields: string[]): string {
  if (fields.length === 0) return signalName(s.signo);
  const parts = fields.map((f) => {
    switch (f) {
      case "si_code": return `si_code=${SI_CODE_NAMES[s.code] ?? String(s.code)}`;
      case "si_fd": return `si_fd=${s.fd}`;
      case "si_band": return `si_band=0x${s.band.toString(16)}`;
      default: return `si_signo=${signalName(s.signo)}`;
    }
  });
  return `${signalName(s.signo)} {${parts.join(", ")}}`;
}

/** The distinct signals of a list, first arrival of each, in arrival order. */
export function distinctSignals(got: readonly SigInfo[]): SigInfo[] {
  const seen = new Set<number>();
  const out: SigInfo[] = [];
  for (const s of got) if (!seen.has(s.signo)) { seen.add(s.signo); out.push(s); }
  return out;
}

/** Compares what happened with what the script said, step by step; keeps `$var` bindings. */
export class Judge {
  readonly vars = new Map<string, string>();
  readonly steps: StepReport[] = [];

  private push(step: Step, proc: string | null, expected: string | null, actual: string | null, ok: boolean): StepReport {
    const r: StepReport = { line: step.line, proc, step: step.text, expected, actual, ok };
    this.steps.push(r);
    return r;
  }

  /** A call's (or a resumed call's) result. `readBack` is what a read returned, checked against the script's buffer. */
  call(step: Extract<Step, { k: "call" | "resumed" }>, actual: string, readBack?: { want: string; got: string }): StepReport {
    const e = step.expect;
    let shown = actual;
    let ok: boolean;
    if (e === null) ok = true;
    else if (e.k === "bind") {
      const bound = this.vars.get(e.name);
      const isValue = actual !== "..." && actual !== "?" && !actual.startsWith("-1 ");
      if (bound === undefined && isValue) { this.vars.set(e.name, actual); shown = "$" + e.name; ok = true; }
      else if (bound !== undefined && bound === actual) { shown = "$" + e.name; ok = true; }
      else ok = false;
    } else ok = expectText(e) === actual;
    if (readBack !== undefined && readBack.want !== "" && readBack.want !== readBack.got) {
      shown = `${shown} ${quoteBytes(readBack.got)}`;
      ok = false;
    }
    return this.push(step, step.proc, expectText(e), shown, ok);
  }

  signals(step: Extract<Step, { k: "signals" }>, got: readonly SigInfo[]): StepReport {
    const distinct = distinctSignals(got);
    if (step.expect === "none") {
      const actual = distinct.length === 0 ? "none" : distinct.map((s) => signalName(s.signo)).join(", ");
      return this.push(step, step.proc, "none", actual, distinct.length === 0);
    }
    const want = step.expect;
    const fieldsFor = (signo: number): string[] => want.find((w: SigExpect) => signalByName(w.sig) === signo)?.fields ?? [];
    const actual = distinct.length === 0 ? "none" : distinct.map((s) => formatSigInfo(s, fieldsFor(s.signo))).join(", ");
    const expected = want.map((w) => w.text).join(", ");
    return this.push(step, step.proc, expected, actual, canonSig(expected) === canonSig(actual));
  }

  status(step: Extract<Step, { k: "status" }>, actual: string): StepReport {
    return this.push(step, step.proc, step.expect, actual, step.expect === actual);
  }

  /** A cat step: the lines, already normalised. */
  cat(step: Extract<Step, { k: "call" }>, lines: string[] | null, failure?: string): StepReport {
    const actual = failure ?? (lines ?? []).join("\n");
    // `> ` lines, or a written result (`= -1 ENOENT`) for a file that cannot be read.
    const expected = step.lines !== null ? step.lines.join("\n") : step.expect?.k === "value" ? step.expect.text : null;
    const ok = expected === null ? true : expected === actual;
    return this.push(step, step.proc, expected, actual, ok);
  }

  sleep(step: Extract<Step, { k: "sleep" }>): StepReport {
    return this.push(step, null, null, null, true);
  }

  report(scenario: string, policy: string): RunReport {
    return { scenario, policy, ok: this.steps.every((s) => s.ok), steps: this.steps };
  }
}

/** Signal names are compared canonically (SIGPOLL is SIGIO). */
function canonSig(s: string): string {
  return s.replace(/SIG[A-Z0-9]+(?:[+-]\d+)?/g, (n) => {
    const v = signalByName(n);
    return v === null ? n : signalName(v);
  });
}

/** Text form: the script echoed with actual results, failed steps marked. */
export function formatReport(r: RunReport, color: (s: string, ok: boolean) => string = (s) => s): string {
  const out: string[] = [`@scenario ${r.scenario}  (policy ${r.policy})`];
  if (r.skipped !== undefined) {
    out.push(`skipped: ${r.skipped}`);
    return out.join("\n");
  }
  for (const s of r.steps) {
    const who = s.proc === null ? "" : `${s.proc}: `;
    const found = (r.violations ?? []).filter((v) => v.line === s.line);
    let line: string;
    if (s.step.startsWith("---") || s.step.startsWith("+++")) {
      line = s.step.startsWith("---") ? `${who}--- ${s.actual} ---` : `${who}+++ ${s.actual} +++`;
    } else if (s.step.startsWith("sleep")) line = s.step;
    else if (/^(cat|lsof|rdma)\(/.test(s.step) && !/^(-1 |\?$|\.\.\.$)/.test(s.actual ?? "")) {
      // A view's lines, as the script writes them: `> line`, or a lone `>` for none.
      line = `${who}${s.step}` + (s.actual === "" ? "\n  >" : "\n" + (s.actual ?? "").split("\n").map((l) => `  > ${l}`).join("\n"));
    } else line = `${who}${s.step}${s.actual === "..." ? " ..." : ` = ${s.actual}`}`;
    const mark = s.ok ? "" : `    # FAILED: expected ${s.expected}`;
    out.push(`${String(s.line).padStart(4)}  ${color(line + mark, s.ok)}`);
    for (const v of found) out.push(`      ${color(`! ${v.property} fails: ${v.detail}`, false)}`);
  }
  for (const e of r.expectFailures ?? []) out.push(color(`expectation failed: ${e}`, false));
  const props = failedProperties(r);
  out.push(r.ok ? (props === "" ? "ok" : `ok (as @expect says: ${props})`) : "FAILED");
  return out.join("\n");
}

/** `no-corruption fails at line 38, user-told fails at line 42`, or "" when every property held. */
export function failedProperties(r: RunReport): string {
  return (r.violations ?? []).map((v) => `${v.property} fails at line ${v.line}`).join(", ");
}
