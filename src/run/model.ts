// `daxlease run`: a scenario on the model in the order it is written, as one path through
// the machine the explorer drives. Each call step is its process's next program call; a
// `sleep` lets time run; results, signals and statuses are judged against the script.
import { outCheck } from "../scenario/msg.js";
import type { Scenario, Step, CallStep } from "../scenario/ast.js";
import { Judge, type RunReport } from "../scenario/report.js";
import { fmtResult, fmtErrno } from "../scenario/notation.js";
import { quoteBytes } from "../scenario/lex.js";
import type { KState, Proc, SigInfo } from "../kernel/include/state.js";
import { PState, BLOCKED } from "../kernel/include/state.js";
import { DIED } from "../kernel/entry.js";
import { nextTimer } from "../kernel/sched/exit.js";
import { signalName } from "../kernel/include/signal_names.js";
import { checkInvariants } from "../kernel/check.js";
import { bound } from "../kernel/include/assert.js";
import { policyNamed } from "../policy/registry.js";
import { Machine, newStepOut, type MState, type StepOut } from "../machine/machine.js";
import { compile } from "../machine/program.js";
import { Monitor, PROPERTIES, type Outcome } from "../props/monitor.js";

export interface ModelRun { report: RunReport; state: KState }

/**
 * Called after each step of the script (its move, the settle, the monitors), with the state
 * it left (the runner's own, to be copied, not kept) and the caught signals that reached
 * user space during it. For views that show every step (the playground); the run is the same.
 */
export type StepHook = (step: Step, st: MState, signals: { proc: string; sig: SigInfo }[]) => void;

export function procStatus(p: Proc): string {
  if (p.state === PState.Exited) return `exited with ${p.code}`;
  if (p.state === PState.Killed) return `killed by ${signalName(p.code)}`;
  return "running";
}

function isDead(p: Proc): boolean {
  return p.state === PState.Exited || p.state === PState.Killed;
}

/** The call a process is in or last made, and what it returned (null: not yet; DIED: never). */
interface Current { call: CallStep; ret: number | null }

export function runOnModel(sc: Scenario, policy = "linux", opts: { check?: boolean; onStep?: StepHook } = {}): ModelRun {
  const c = compile(sc);
  const m = new Machine(c, policyNamed(policy), { handlers: false });
  const st: MState = m.boot();
  const judge = new Judge();
  const monitor = new Monitor();
  const index = (name: string) => c.procs.findIndex((p) => p.name === name);
  const nameOf = (pid: number) => st.k.procs.find((x) => x.pid === pid)?.name ?? String(pid);
  const cur: (Current | null)[] = c.procs.map(() => null);
  /** Signals handled since the script's last signal line for each process. */
  const log: SigInfo[][] = c.procs.map(() => []);
  const stepSigs: { proc: string; sig: SigInfo }[] = [];

  /** Sleeping calls that returned during the current step, for the monitors. */
  let resumed: Outcome[] = [];
  /** After every move: what returned, and the signals that reached user space. */
  const took = (out: StepOut) => {
    for (const x of out.completions) {
      const k = cur[x.proc];
      if (k !== null && k !== undefined) k.ret = x.ret;
      const p = m.proc(st, x.proc);
      if (x.ret !== DIED && p !== null) resumed.push({ proc: p, call: x.call, args: x.args, ret: x.ret, data: "" });
    }
    for (const p of st.k.procs) {
      if (p.sigq.length === 0) continue;
      log[index(p.name)]!.push(...p.sigq);
      if (opts.onStep !== undefined) for (const sig of p.sigq) stepSigs.push({ proc: p.name, sig });
      p.sigq = [];
    }
  };
  /** Lets time pass until `p` is no longer asleep, or nothing more can wake it. */
  const waitFor = (p: Proc) => {
    // A sleeper that polls every jiffy is woken once a ms: a million rounds is 1000 s of virtual time.
    for (let round = 0; p.state === PState.Blocked && nextTimer(st.k) >= 0; round++) {
      bound(round, 1_000_000, `waitFor: ${p.name} asleep in ${p.wait?.call ?? "?"}`);
      took(m.step(st, { k: "tick", i: 0 }));
    }
  };
  const actualOf = (i: number, p: Proc, step: CallStep): string => {
    const k = cur[i];
    if (k === null || k === undefined || k.ret === DIED) return "?";
    if (k.ret === null) return isDead(p) ? "?" : "...";
    return fmtResult(step.name, step.args, k.ret, nameOf);
  };

  for (const step of sc.steps) {
    let outcome: Parameters<Monitor["check"]>[2] = null;
    switch (step.k) {
      case "sleep": {
        const out = newStepOut();
        m.advance(st, st.k.now + step.ms, out);
        took(out);
        judge.sleep(step);
        break;
      }
      case "signals": {
        const i = index(step.proc);
        judge.signals(step, log[i] ?? []);
        if (i >= 0) log[i] = [];
        break;
      }
      case "status": {
        const p = m.proc(st, index(step.proc));
        judge.status(step, p === null ? "?" : procStatus(p));
        break;
      }
      case "resumed": {
        const i = index(step.proc);
        const p = i >= 0 ? m.proc(st, i) : null;
        const k = cur[i];
        if (p === null || k === null || k === undefined) { judge.call(step, p === null || isDead(p) ? "?" : "..."); break; }
        waitFor(p);
        judge.call(step, actualOf(i, p, k.call));
        break;
      }
      case "call":
        outcome = runCall(step);
        break;
    }
    if (opts.check !== false) checkInvariants(st.k);
    monitor.check(st.k, step.line, outcome, (pid) => cur[c.procs.findIndex((x) => x.pid === pid)]?.call.name ?? "", resumed);
    resumed = [];
    opts.onStep?.(step, st, stepSigs.splice(0));
  }
  monitor.finish(st.k);
  const report = judge.report(sc.name, policy);
  report.violations = monitor.violations.slice().sort((a, b) => a.line - b.line);
  // A property that no @expect line names is expected to hold: a finding is never silent.
  const wrong: string[] = [];
  for (const p of PROPERTIES) {
    const e = sc.expects.find((x) => x.property === p);
    const holds = monitor.holds(p);
    if (e !== undefined && holds !== e.holds) wrong.push(`line ${e.line}: ${p} was expected to ${e.holds ? "hold" : "fail"}, and it ${e.holds ? "failed" : "held"}`);
    if (e === undefined && !holds) wrong.push(`${p} failed, and no @expect line says it may (\`@expect ${p} fails\` states a finding)`);
  }
  if (wrong.length > 0) {
    report.expectFailures = wrong;
    report.ok = false;
  }
  return { report, state: st.k };

  /** A call step: its process's next program call, made now if the process can make it. */
  function runCall(step: CallStep): Parameters<Monitor["check"]>[2] {
    if (step.proc === "NIC") {
      const out = m.step(st, { k: "call", i: m.nic });
      took(out);
      const r = out.call!.res;
      if (step.name === "rdma_write") judge.call(step, r.ret < 0 ? fmtErrno(-r.ret) : String(r.ret));
      else judge.call(step, r.ret < 0 ? fmtErrno(-r.ret) : quoteBytes(r.data ?? ""));
      return { proc: null, call: step.name, args: out.call!.args, ret: r.ret, data: r.data ?? "" };
    }
    const i = index(step.proc);
    const skip = (actual: string) => {
      took(m.step(st, { k: "skip", i }));
      // A call a dead process never made: its `<... resumed>` is `?` too, not the last call's result.
      if (actual === "?") cur[i] = null;
      if (step.name === "cat") judge.cat(step, null, actual);
      else judge.call(step, actual);
      return null;
    };
    let p = m.proc(st, i);
    // The child of a fork that never ran (its parent was dead or asleep).
    if (p === null) return skip("?");
    // A call that blocked without `...` in the script: this step first waits for it.
    if (p.state === PState.Blocked) waitFor(p);
    if (isDead(p)) return skip("?");
    if (p.state === PState.Blocked) return skip("...");
    const out = m.step(st, { k: "call", i });
    const call = out.call!;
    cur[i] = { call: step, ret: call.res.ret === BLOCKED ? null : call.res.ret };
    took(out);
    p = m.proc(st, i)!;
    const r = call.res;
    const outcome = { proc: p, call: step.name, args: call.args, ret: r.ret, data: r.data ?? "" };
    if (r.lines !== undefined || step.name === "cat") {
      const lines = r.lines?.map((l) => l.trim().replace(/\s+/g, " ")) ?? null;
      judge.cat(step, lines, r.lines === undefined ? fmtResult("cat", step.args, r.ret, nameOf) : undefined);
      return outcome;
    }
    const readBack = r.ret >= 0 ? outCheck(step.name, step.args, r.data ?? "", r.fds ?? []) : undefined;
    judge.call(step, actualOf(i, p, step), readBack);
    return outcome;
  }
}

export type { Step };
