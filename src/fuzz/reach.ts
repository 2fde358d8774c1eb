// What random scripts reach: the share of scripts in which a lease was set, a break
// started, a call blocked, a break timed out and pages were pinned (counted on the model,
// through the kernel's tracepoints: src/kernel/trace.ts).
import { parseScenario } from "../scenario/parse.js";
import { runOnModel } from "../run/model.js";
import { withProbe, type TraceEvent } from "../kernel/trace.js";
import { ModelBug } from "../kernel/include/assert.js";

export const REACH = ["leases", "breaks", "blocked", "timeouts", "pins"] as const;
export type ReachKey = (typeof REACH)[number];

const KEY: Record<TraceEvent, ReachKey> = { lease: "leases", break: "breaks", block: "blocked", timeout: "timeouts", pin: "pins" };

/** What one script reaches on the model under `policy`; a model bug reaches nothing (the judge reports it). */
export function reachOf(text: string, policy = "linux"): Set<ReachKey> {
  const seen = new Set<ReachKey>();
  const sc = parseScenario(text, "reach.scn");
  try {
    withProbe((e) => seen.add(KEY[e]), () => runOnModel(sc, policy));
  } catch (e) {
    if (!(e instanceof ModelBug)) throw e;
  }
  return seen;
}

/** Counts over many scripts. */
export class Reach {
  scripts = 0;
  readonly counts: Record<ReachKey, number> = { leases: 0, breaks: 0, blocked: 0, timeouts: 0, pins: 0 };

  add(seen: Set<ReachKey>) {
    this.scripts++;
    for (const key of seen) this.counts[key]++;
  }

  /** The share of scripts that reached `key`, in percent. */
  percent(key: ReachKey): number {
    return this.scripts === 0 ? 0 : (100 * this.counts[key]) / this.scripts;
  }

  /** `reached: leases N%, breaks N%, blocked N%, timeouts N%, pins N%` */
  line(): string {
    return `reached: ${REACH.map((key) => `${key} ${Math.round(this.percent(key))}%`).join(", ")}`;
  }
}
