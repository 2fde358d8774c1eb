// The five properties along one run (`daxlease run`): the predicates after every step, each
// property reported at the first step where it failed. A failing property is a finding about
// the policy, not an error of the run. The explorer judges the same predicates on its graph.
import type { KState } from "../kernel/include/state.js";
import { PState } from "../kernel/include/state.js";
import { cloneState } from "../kernel/snapshot.js";
import { tick } from "../kernel/entry.js";
import { corruption, unattributed, untold, holdsLeaseOrPin, untimed } from "./predicates.js";
import { unrecoverable, settleKernel, type Outcome } from "./recoverable.js";

export { PROPERTIES } from "./names.js";
export type { Outcome } from "./recoverable.js";
export interface Violation { line: number; property: string; detail: string }

/** A wait that began with no timeout, by a process that held no lease and no pin. */
interface Hang { line: number; call: string; killed: number }

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
   * After a step (its move and the settle after it): the state's predicates, the step's call's
   * predicates, and the bookkeeping of untimed waits. `callOf` names the call a process is in.
   */
  check(s: KState, line: number, out: Outcome | null, callOf: (pid: number) => string) {
    if (out !== null) this.add(line, "user-told", untold(s, out.proc, out.call, out.args, out.ret, out.data));
    this.add(line, "no-corruption", corruption(s));
    this.add(line, "pinner-visible", unattributed(s));
    this.innocentHang(s, line, callOf);
    if (out !== null) this.add(line, "recoverable", unrecoverable(s, out));
  }

  /**
   * Untimed waits by processes that held no lease and no pin when they began. Such a wait is
   * a hang if it can still not end when the run is over, or if it ended only because someone
   * was killed; a wait that the pinners end by themselves is not.
   */
  private innocentHang(s: KState, line: number, callOf: (pid: number) => string) {
    const killed = s.procs.filter((p) => p.state === PState.Killed).length;
    for (const p of s.procs) {
      const w = this.waits.get(p.pid);
      if (!untimed(p)) {
        if (w !== undefined && killed > w.killed) this.hang(p.name, w);
        this.waits.delete(p.pid);
      } else if (w === undefined && !holdsLeaseOrPin(s, p)) this.waits.set(p.pid, { line, call: callOf(p.pid), killed });
    }
  }

  private hang(name: string, w: Hang) {
    this.add(w.line, "no-innocent-hang", `${name} waits in ${w.call} with no timeout while holding no lease and no pin`);
  }

  /** After the last step: an untimed wait that time alone cannot end is a hang. */
  finish(s: KState) {
    if (this.waits.size === 0) return;
    const c = cloneState(s);
    for (let guard = 0; guard < 10_000 && tick(c); guard++) settleKernel(c, -1);
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
