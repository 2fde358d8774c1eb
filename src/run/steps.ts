// A run kept step by step: `daxlease run`'s one path (runOnModel, unchanged), with a copy of
// the state after each step and the signals each step delivered. What the playground shows;
// plain data, no Node-only import.
import type { Scenario, Step } from "../scenario/ast.js";
import type { KState, SigInfo } from "../kernel/include/state.js";
import type { RunReport, StepReport, Violation } from "../scenario/report.js";
import { cloneState } from "../kernel/snapshot.js";
import { Machine } from "../machine/machine.js";
import { compile } from "../machine/program.js";
import { policyNamed } from "../policy/registry.js";
import { runOnModel } from "./model.js";

export interface RunStep {
  step: Step;
  /** What the judge said of the step: expected, actual, ok. */
  result: StepReport;
  /** The state the step left. */
  state: KState;
  /** Caught signals that reached user space during the step, by receiving process. */
  signals: { proc: string; sig: SigInfo }[];
  /** Properties that first failed at this step. */
  violations: Violation[];
}

export interface SteppedRun {
  report: RunReport;
  /** The state before the first step (after boot). */
  initial: KState;
  steps: RunStep[];
  /** Every process the script names, in pid order (declared ones, then the children of forks). */
  procs: string[];
}

export function runSteps(sc: Scenario, policy: string): SteppedRun {
  const c = compile(sc);
  const initial = new Machine(c, policyNamed(policy), { handlers: false }).boot().k;
  const kept: { step: Step; state: KState; signals: RunStep["signals"] }[] = [];
  const { report } = runOnModel(sc, policy, {
    onStep: (step, st, signals) => kept.push({ step, state: cloneState(st.k), signals }),
  });
  const violations = report.violations ?? [];
  // The judge reports every step once, in order.
  const steps = kept.map((k, i): RunStep => ({
    ...k, result: report.steps[i]!, violations: violations.filter((v) => v.line === k.step.line),
  }));
  return { report, initial, steps, procs: c.procs.map((p) => p.name) };
}
