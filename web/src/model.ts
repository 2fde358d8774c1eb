// The core as the page uses it: the CLI's parser, runner, policies and property monitors,
// called in the browser. Nothing here decides what a step does.
import { parseScenario } from "../../src/scenario/parse.js";
import { ScriptError } from "../../src/scenario/error.js";
import type { Scenario } from "../../src/scenario/ast.js";
import type { RunReport } from "../../src/scenario/report.js";
import { runOnModel } from "../../src/run/model.js";
import { runSteps, type SteppedRun } from "../../src/run/steps.js";
import { parsePolicy, policyVariants } from "../../src/policy/registry.js";

export type Parsed = { ok: true; sc: Scenario } | { ok: false; error: { line: number; col: number; why: string; text: string } };

export function parse(text: string, file: string): Parsed {
  try {
    return { ok: true, sc: parseScenario(text, file) };
  } catch (e) {
    if (e instanceof ScriptError) return { ok: false, error: { line: e.line, col: e.col, why: e.why, text: e.message } };
    return { ok: false, error: { line: 1, col: 1, why: `a bug in the parser: ${String(e)}`, text: `${file}:1:1: a bug in the parser: ${String(e)}` } };
  }
}

/** A run, or the model bug that stopped it (never a script's fault: the parser took the script). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; bug: string };

function guard<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    return { ok: false, bug: e instanceof Error ? e.message : String(e) };
  }
}

export function runStepped(sc: Scenario, policy: string): Outcome<SteppedRun> {
  return guard(() => runSteps(sc, policy));
}

export function runReport(sc: Scenario, policy: string): Outcome<RunReport> {
  return guard(() => runOnModel(sc, policy).report);
}

/** Every policy the matrix has a column for, and the script's own @policy if it is another spelling. */
export function policiesFor(sc: Scenario | null): string[] {
  const all = policyVariants();
  if (sc !== null && !all.includes(sc.policy)) all.unshift(sc.policy);
  return all;
}

export function validPolicy(spec: string): boolean {
  return typeof parsePolicy(spec) !== "string";
}

/** The script under every policy (results only), timed with the Performance API. */
export function runAllPolicies(sc: Scenario): Map<string, Outcome<RunReport>> {
  performance.mark("daxlease:all-policies:start");
  const out = new Map<string, Outcome<RunReport>>();
  for (const p of policiesFor(sc)) out.set(p, runReport(sc, p));
  performance.measure("daxlease:all-policies", "daxlease:all-policies:start");
  return out;
}
