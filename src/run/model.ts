// Runs a scenario on the model, step by step, in written order.
import type { Scenario, Step } from "../scenario/ast.js";
import { Judge, type RunReport } from "../scenario/report.js";
import { fmtResult } from "../scenario/notation.js";
import { boot } from "../kernel/boot.js";
import type { KState, Proc } from "../kernel/state.js";
import { PState, BLOCKED } from "../kernel/state.js";
import { syscall } from "../kernel/syscalls.js";
import { Monitor, PROPERTIES, type StepOutcome } from "../props/monitor.js";
import { nicWrite, nicRead } from "../kernel/rdma.js";
import { fmtErrno } from "../scenario/notation.js";
import { quoteBytes } from "../scenario/lex.js";
import { advance, waitFor } from "../kernel/sched.js";
import { signalName } from "../kernel/signal_names.js";
import { resolveArgs } from "./resolve.js";
import { checkInvariants } from "../kernel/check.js";

type CallStep = Extract<Step, { k: "call" }>;

export interface ModelRun { report: RunReport; state: KState }

export function procStatus(p: Proc): string {
  if (p.state === PState.Exited) return `exited with ${p.code}`;
  if (p.state === PState.Killed) return `killed by ${signalName(p.code)}`;
  return "running";
}

function isDead(p: Proc): boolean {
  return p.state === PState.Exited || p.state === PState.Killed;
}

export function runOnModel(sc: Scenario, policy = "linux", opts: { check?: boolean } = {}): ModelRun {
  const s = boot(sc, policy);
  const judge = new Judge();
  const monitor = new Monitor();
  let outcome: StepOutcome | null = null;
  /** A process; null for the child of a fork that never ran (its parent was dead or asleep). */
  const byName = (name: string): Proc | null => s.procs.find((x) => x.name === name) ?? null;
  const pidOf = (name: string) => s.procs.find((x) => x.name === name)?.pid ?? 0;
  const nameOf = (pid: number) => s.procs.find((x) => x.pid === pid)?.name ?? String(pid);
  /** The call each process is in or last made, for formatting a resumed result. */
  const lastCall = new Map<string, CallStep | null>();
  const actualOf = (p: Proc, step: CallStep): string => {
    if (isDead(p) && (p.ret === BLOCKED || step.name === "exit" || !p.done || p.call === step.name && p.ret === BLOCKED)) return "?";
    if (p.state === PState.Blocked || !p.done) return "...";
    return fmtResult(step.name, step.args, p.ret, nameOf);
  };
  const ctx = { file: sc.file, vars: judge.vars, pidOf };

  for (const step of sc.steps) {
    switch (step.k) {
      case "sleep":
        advance(s, s.now + step.ms);
        judge.sleep(step);
        break;
      case "signals": {
        const p = byName(step.proc);
        judge.signals(step, p?.sigs ?? []);
        if (p !== null) p.sigs = [];
        break;
      }
      case "status": {
        const p = byName(step.proc);
        judge.status(step, p === null ? "?" : procStatus(p));
        break;
      }
      case "resumed": {
        const p = byName(step.proc);
        const call = lastCall.get(step.proc);
        // The call to resume never ran (its process was dead, or still asleep in an earlier one).
        if (p === null || call === undefined || call === null) { judge.call(step, p === null || isDead(p) ? "?" : "..."); break; }
        waitFor(s, p, Number.POSITIVE_INFINITY);
        judge.call(step, actualOf(p, call));
        break;
      }
      case "call":
        runCall(step);
        break;
    }
    if (opts.check !== false) checkInvariants(s);
    monitor.check(s, step.line, outcome);
    outcome = null;
  }
  monitor.finish(s);
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
  return { report, state: s };

  /** The NIC's DMA, as a remote peer makes it happen: no process, no syscall. */
  function runNic(step: CallStep) {
    const args = resolveArgs(ctx, step);
    if (step.name === "rdma_write") {
      const r = nicWrite(s, Number(args[0]), Number(args[1]), String(args[2]));
      judge.call(step, r < 0 ? fmtErrno(-r) : String(r));
    } else {
      const r = nicRead(s, Number(args[0]), Number(args[1]), Number(args[2]));
      judge.call(step, r.ret < 0 ? fmtErrno(-r.ret) : quoteBytes(r.data));
    }
  }

  function runCall(step: CallStep) {
    if (step.proc === "NIC") return runNic(step);
    const p = byName(step.proc);
    lastCall.set(step.proc, null);
    if (p === null) {
      if (step.name === "cat") judge.cat(step, null, "?");
      else judge.call(step, "?");
      return;
    }
    // A call that blocked without `...` in the script: this step first waits for it.
    if (p.state === PState.Blocked) waitFor(s, p, Number.POSITIVE_INFINITY);
    if (isDead(p)) {
      if (step.name === "cat") judge.cat(step, null, "?");
      else judge.call(step, "?");
      return;
    }
    if (p.state === PState.Blocked) {
      if (step.name === "cat") judge.cat(step, null, "...");
      else judge.call(step, "...");
      return;
    }
    const args = resolveArgs(ctx, step);
    const child = step.name === "fork" && step.expect?.k === "value" ? step.expect.text : "";
    lastCall.set(step.proc, step);
    const r = syscall(s, p, step.name, args, child);
    outcome = { proc: p, call: step.name, args, ret: r.ret };
    if (r.lines !== undefined || step.name === "cat") {
      const lines = r.lines?.map((l) => l.trim().replace(/\s+/g, " ")) ?? null;
      judge.cat(step, lines, r.lines === undefined ? fmtResult("cat", step.args, r.ret, nameOf) : undefined);
      return;
    }
    const actual = actualOf(p, step);
    const readBack = (step.name === "read" || step.name === "pread" || step.name === "pread64") && r.ret >= 0 && step.args[1]?.k === "str"
      ? { want: step.args[1].v, got: r.data ?? "" } : undefined;
    judge.call(step, actual, readBack);
  }
}
