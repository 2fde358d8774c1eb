// The five properties along one run (`daxlease run`): the predicates after every step, each
// property reported at the first step where it failed. A failing property is a finding about
// the policy, not an error of the run. The explorer judges the same predicates on its graph.
import type { KState, Proc } from "../kernel/include/state.js";
import { PState } from "../kernel/include/state.js";
import { cloneState } from "../kernel/snapshot.js";
import { tick } from "../kernel/entry.js";
import { corruption, unattributed, untold, holdsLeaseOrPin, untimed } from "./predicates.js";
import { untraced } from "../kernel/trace.js";
import { unrecoverable, settleKernel, type Outcome } from "./recoverable.js";

export { PROPERTIES } from "./names.js";
export type { Outcome } from "./recoverable.js";
export interface Violation { line: number; property: string; detail: string }

/** A lease break that has no timeout only because fs.lease-break-time <= 0 (it counts all the same: EXPLORATION.md). */
function untimedBySysctl(s: KState, p: Proc): boolean {
  return untimed(p) && p.wait!.kind === "lease" && s.leaseBreakTime <= 0;
}

/** A sleep: where it began, in which call, how many processes had been killed then; whether it had no timeout at some point; whether its process held a lease or a pin when it began. */
interface Hang { line: number; call: string; killed: number; untimed: boolean; guilty?: boolean; sysctl?: boolean }

export class Monitor {
  readonly violations: Violation[] = [];
  private failed = new Set<string>();
  private waits = new Map<number, Hang>();

  private add(line: number, property: string, detail: string | null) {
    if (detail === null || this.failed.has(property)) return;
    this.failed.add(property);
    this.violations.push({ line, property, detail });
  }

  /**
   * After a step (its move and the settle after it): the state's predicates, the predicates of
   * the step's call and of the sleeping calls that returned meanwhile (`resumed`: a refusal that
   * comes after a wait is a refusal too), and the bookkeeping of sleeps. `callOf` names the call
   * a process is in.
   */
  check(s: KState, line: number, out: Outcome | null, callOf: (pid: number) => string, resumed: Outcome[] = []) {
    const calls = out === null ? resumed : [out, ...resumed];
    for (const o of calls) this.add(line, "user-told", untold(s, o.proc, o.call, o.args, o.ret, o.data));
    this.add(line, "no-corruption", corruption(s));
    this.add(line, "pinner-visible", unattributed(s));
    this.innocentHang(s, line, callOf);
    for (const o of calls) this.add(line, "recoverable", unrecoverable(s, o));
  }

  /**
   * Sleeps by processes that held no lease and no pin when they began. Such a sleep is a hang
   * if time alone cannot end it when the run is over, or if it had no timeout and ended only
   * because someone was killed; a sleep that the pinners end by themselves is not.
   */
  private innocentHang(s: KState, line: number, callOf: (pid: number) => string) {
    const killed = s.procs.filter((p) => p.state === PState.Killed).length;
    for (const p of s.procs) {
      const w = this.waits.get(p.pid);
      if (p.state !== PState.Blocked) {
        if (w !== undefined && w.untimed && killed > w.killed) this.hang(p.name, w);
        this.waits.delete(p.pid);
      } else if (w === undefined) {
        if (!holdsLeaseOrPin(s, p)) this.waits.set(p.pid, { line, call: callOf(p.pid), killed, untimed: untimed(p), sysctl: untimedBySysctl(s, p) });
        else this.waits.set(p.pid, { line, call: "", killed, untimed: false, guilty: true });
      } else if (untimed(p)) { w.untimed = true; w.sysctl ||= untimedBySysctl(s, p); }
    }
  }

  private hang(name: string, w: Hang) {
    if (w.guilty) return;
    const why = w.sysctl === true ? " (fs.lease-break-time=0 gives this wait no timeout)" : "";
    this.add(w.line, "no-innocent-hang", `${name} waits in ${w.call} ${w.untimed ? "with no timeout " : ""}while holding no lease and no pin${why}`);
  }

  /** After the last step: a sleep that time alone cannot end is a hang (the explorer asks the same of every state). */
  finish(s: KState) {
    if (this.waits.size === 0) return;
    const c = cloneState(s);
    // A look-ahead on a copy: the tracepoints it passes are not the run's.
    untraced(() => { for (let guard = 0; guard < 10_000 && tick(c); guard++) settleKernel(c, -1); });
    for (const [pid, w] of this.waits) {
      const p = c.procs.find((x) => x.pid === pid)!;
      if (p.wait !== null) this.hang(p.name, w);
    }
  }

  /** What happened to each property, for @expect. */
  holds(property: string): boolean {
    return !this.failed.has(property);
  }
}
