// Runs a scenario's steps, in written order, against real processes.
import { readFileSync } from "node:fs";
import type { Scenario, Step } from "../scenario/ast.js";
import { Judge, type RunReport, type StepReport } from "../scenario/report.js";
import { fmtResult } from "../scenario/notation.js";
import { command, outParams, type Ctx } from "./args.js";
import { outCheck } from "../scenario/msg.js";
import { Agent, Fleet, withTimeout, type Reply } from "./fleet.js";
import type { FsEnv } from "./fsenv.js";
import { normaliseLocks } from "./locks.js";
import { LEASE_WAIT } from "./procfs.js";

/** A call not back after this long is reported `...` (one asleep in a lease break is, at once). */
export const GRACE_MS = 250;
/** The longest wait for every agent to settle after a step. */
export const SETTLE_MS = 2000;
/** A wait for a blocked call lasts lease-break-time plus this (or just this when breaks never time out). */
export const RESUME_SLACK_MS = 3000;
/** How long an agent may take to start (fork, connect, greet). */
const START_MS = 5000;
const POLL_MS = 1;
const DEBUG = process.env.DAXLEASE_ORACLE_DEBUG !== undefined;
const T0 = Date.now();

/** Timings on stderr when DAXLEASE_ORACLE_DEBUG is set. */
export function trace(what: string): void {
  if (DEBUG) process.stderr.write(`oracle: ${Date.now() - T0} ms: ${what}\n`);
}

type CallStep = Extract<Step, { k: "call" }>;

interface Pending { step: CallStep; promise: Promise<Reply | null>; reply?: Reply | null }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

export class Runner {
  readonly judge = new Judge();
  /** "dev:ino" -> the scenario path it was last seen at. */
  private paths = new Map<string, string>();
  /** A blocked call per process (written with `...` or not). */
  private pending = new Map<string, Pending>();
  /** A call written with `...` that returned at once: its `<... resumed>` reports this. */
  private early = new Map<string, { step: CallStep; reply: Reply | null }>();

  constructor(
    private sc: Scenario,
    private env: FsEnv,
    private fleet: Fleet,
    private leaseBreakMs: number,
    private deadline: number,
  ) {}

  private left(): number {
    return this.deadline - Date.now();
  }

  private get resumeMs(): number {
    return Math.min(this.left(), (this.leaseBreakMs > 0 ? this.leaseBreakMs : 0) + RESUME_SLACK_MS);
  }

  procName = (pid: number): string => this.fleet.byPid.get(pid)?.name ?? String(pid);

  private ctx: Ctx = {
    pid: (n) => this.fleet.agents.get(n)?.pid ?? 0,
    addr: (n) => {
      const v = this.judge.vars.get(n);
      return v !== undefined && /^0x[0-9a-f]+$/i.test(v) ? parseInt(v, 16) : 0;
    },
  };

  async run(): Promise<RunReport> {
    this.refreshPaths();
    const steps = this.sc.steps;
    for (let i = 0; i < steps.length; i++) {
      if (this.left() <= 0) {
        for (const s of steps.slice(i)) this.timedOut(s);
        break;
      }
      const t0 = Date.now();
      await this.step(steps[i]!);
      const t1 = Date.now();
      await this.settle();
      this.refreshPaths();
      trace(`line ${steps[i]!.line}: step ${t1 - t0} ms, settle ${Date.now() - t1} ms`);
    }
    return this.judge.report(this.sc.name, "kernel");
  }

  private async step(s: Step): Promise<void> {
    switch (s.k) {
      case "sleep":
        await sleep(Math.min(s.ms, this.left()));
        this.judge.sleep(s);
        return;
      case "call":
        return s.name === "cat" ? this.cat(s) : this.call(s);
      case "resumed":
        return this.resumed(s);
      case "signals":
        return this.signals(s);
      case "status":
        return this.status(s);
    }
  }

  /** Waits for a call the script did not write `...` for; false if it is still blocked. */
  private async unblock(name: string): Promise<boolean> {
    const p = this.pending.get(name);
    if (p === undefined) return true;
    const r = await withTimeout(p.promise, this.resumeMs);
    if (r === undefined) return false;
    this.pending.delete(name);
    await this.settle();
    return true;
  }

  private async call(s: CallStep): Promise<void> {
    const ag = this.fleet.agents.get(s.proc);
    if (ag === undefined || ag.dead) { this.judge.call(s, "?"); return; }
    if (!(await this.unblock(s.proc))) { this.judge.call(s, "..."); return; }
    if (s.name === "exit") {
      void ag.call(command(s, this.ctx));
      await this.waitDead(ag);
      this.judge.call(s, "?");
      return;
    }
    if (s.name === "kill") {
      // Signals caught before a kill are collected while the target can still answer.
      const target = this.fleet.agents.get(String((s.args[0] as { v: unknown[] }).v[0]));
      if (target !== undefined && !target.dead && target.inFlight === 0) await withTimeout(target.call("sigs"), SETTLE_MS);
    }
    // What the caller caught while idle is collected before its call, which may sleep: a
    // sleeping agent answers nothing until its call ends (a SIGIO from a lease break that
    // another process started, then a call of its own that blocks: found by the leases generator).
    await withTimeout(ag.call("sigs"), SETTLE_MS);
    const promise = ag.call(command(s, this.ctx));
    const done = await this.await(ag, promise);
    if (done === "blocked") {
      this.pending.set(s.proc, { step: s, promise });
      this.judge.call(s, "...");
      return;
    }
    if (s.expect?.k === "blocks") this.early.set(s.proc, { step: s, reply: done });
    if ((s.name === "fork" || s.name === "clone") && done !== null && done.ret > 0 && s.expect?.k === "value") {
      await this.fleet.hello(s.expect.text, START_MS);
    }
    this.report(s, s, done);
  }

  private report(s: Extract<Step, { k: "call" | "resumed" }>, call: CallStep, r: Reply | null): void {
    if (r === null) { this.judge.call(s, "?"); return; }
    const actual = fmtResult(call.name, call.args, r.ret, this.procName);
    const out = outParams(call, r.data);
    this.judge.call(s, actual, r.ret < 0 ? undefined : outCheck(call.name, call.args, out.data, out.fds));
  }

  /** A call's answer, or "blocked" when it is asleep in a lease break with the rest settled, or past the grace period. */
  private async await(ag: Agent, promise: Promise<Reply | null>): Promise<Reply | null | "blocked"> {
    let got: Reply | null | undefined;
    void promise.then((r) => { got = r; });
    const t0 = Date.now();
    for (;;) {
      await sleep(0);
      if (got !== undefined) return got;
      const p = ag.look();
      if (p.k === "dead") return (await withTimeout(promise, 1000)) ?? null;
      if (p.k === "asleep" && !p.inCtl && p.wchan === LEASE_WAIT) {
        await this.settle();
        if (got !== undefined) return got;
        const q = ag.look();
        if (q.k === "asleep" && !q.inCtl && q.wchan === LEASE_WAIT) return "blocked";
      }
      if (Date.now() - t0 > GRACE_MS) return "blocked";
      await sleep(POLL_MS);
    }
  }

  private async resumed(s: Extract<Step, { k: "resumed" }>): Promise<void> {
    const e = this.early.get(s.proc);
    if (e !== undefined) {
      this.early.delete(s.proc);
      this.report(s, e.step, e.reply);
      return;
    }
    const p = this.pending.get(s.proc);
    if (p === undefined) { this.judge.call(s, "?"); return; }
    const r = await withTimeout(p.promise, this.resumeMs);
    if (r === undefined) { this.judge.call(s, "..."); return; }
    this.pending.delete(s.proc);
    this.report(s, p.step, r);
  }

  private async signals(s: Extract<Step, { k: "signals" }>): Promise<void> {
    const ag = this.fleet.agents.get(s.proc);
    if (ag === undefined) { this.judge.signals(s, []); return; }
    // An agent blocked in a call has caught nothing since (a caught signal would have ended
    // the call with EINTR, and settle() would have seen that); an idle one is asked.
    if (!ag.dead && ag.inFlight === 0) await withTimeout(ag.call("sigs"), SETTLE_MS);
    this.judge.signals(s, ag.sigs);
    ag.sigs = [];
  }

  private async status(s: Extract<Step, { k: "status" }>): Promise<void> {
    const ag = this.fleet.agents.get(s.proc);
    if (ag === undefined) { this.judge.status(s, "?"); return; }
    ag.look();
    this.judge.status(s, ag.status ?? "running");
  }

  private cat(s: CallStep): Promise<void> | void {
    const ag = this.fleet.agents.get(s.proc);
    if (ag === undefined || ag.dead) { this.judge.cat(s, null, "?"); return; }
    return this.unblock(s.proc).then((ok) => {
      if (!ok) { this.judge.cat(s, null, "..."); return; }
      this.refreshPaths();
      // The run's own /proc/locks: its pids are the agents' (their PID namespace's).
      const text = readFileSync(`${this.fleet.procRoot}/locks`, "latin1");
      this.judge.cat(s, normaliseLocks(text, (k) => this.paths.get(k), this.procName));
    });
  }

  private async waitDead(ag: Agent): Promise<void> {
    const until = Date.now() + SETTLE_MS;
    while (ag.look().k !== "dead" && Date.now() < until) await sleep(POLL_MS);
  }

  /**
   * Waits until every agent is dead, idle with its answers received, or asleep inside
   * a call: what the last step set going (signals, deaths, woken breakers) has landed.
   */
  private async settle(): Promise<void> {
    const until = Date.now() + Math.min(SETTLE_MS, Math.max(this.left(), 0));
    const all = [...this.fleet.agents.values()];
    for (;;) {
      await sleep(0);
      let busy = false;
      for (const ag of all) {
        if (ag.dead) continue;
        const p = ag.look();
        if (p.k === "busy") busy = true;
        else if (p.k === "asleep" && p.inCtl && ag.inFlight > 0 && !ag.conn.closed) busy = true; // an answer on its way
        else if (p.k === "asleep" && !p.inCtl && ag.inFlight === 0) busy = true; // between commands
      }
      if (!busy || Date.now() >= until) return;
      await sleep(POLL_MS);
    }
  }

  private refreshPaths(): void {
    for (const [path, key] of this.env.scan()) this.paths.set(key, path);
  }

  private timedOut(s: Step): void {
    let r: StepReport;
    switch (s.k) {
      case "sleep": r = this.judge.sleep(s); break;
      case "call": r = s.name === "cat" ? this.judge.cat(s, null, "timeout") : this.judge.call(s, "timeout"); break;
      case "resumed": r = this.judge.call(s, "timeout"); break;
      case "signals": r = this.judge.signals(s, []); break;
      case "status": r = this.judge.status(s, "timeout"); break;
    }
    r.actual = s.k === "sleep" ? null : "timeout";
    r.ok = false;
  }
}
