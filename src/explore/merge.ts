// Reports of one search split over several jobs (random walks run as shards, `check --random
// --shard I/N --json`), merged into one per script and policy: a property fails if any job
// found it fail (the shortest run any job found); it holds only where some job finished an
// exhaustive search; otherwise it is unknown.
import { PROPERTIES, type Property } from "../props/names.js";
import type { Verdict } from "./search.js";
import type { CheckReport, Counterexample } from "./check.js";

/** What `check --json` prints for one policy explored (EXPLORATION.md), as read back. */
export interface JsonReport {
  file: string; scenario: string; policy: string; complete: boolean; stopped: CheckReport["stopped"]; states: number; transitions: number;
  depth: number; seconds: number; verdicts: Record<Property, Verdict>; setupRefused?: boolean; shard?: string | null; por?: boolean;
  counterexamples: { property: Property; length: number; line: number; detail: string; script: string }[];
  storage: CheckReport["storage"]; expect: { matches: boolean; differs: string[] } | null;
}

/** A usage problem with the files given to merge. */
export class MergeError extends Error {}

export function mergeReports(reports: JsonReport[]): CheckReport[] {
  const groups = new Map<string, JsonReport[]>();
  for (const r of reports) {
    if (typeof r !== "object" || r === null || typeof r.scenario !== "string" || typeof r.policy !== "string" || typeof r.verdicts !== "object")
      throw new MergeError("not a report of daxlease check --json");
    const key = `${r.scenario}\u0000${r.policy}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  // Two scripts that share a @scenario name are two searches: one's finished `holds` must not
  // stand for the other's unfinished walks. Jobs may run from other directories: compare names.
  const base = (f: string) => f.replace(/^.*[\\/]/, "");
  for (const rs of groups.values()) {
    const files = new Set(rs.map((r) => base(String(r.file))));
    if (files.size > 1) throw new MergeError(`reports of different scripts share the scenario name ${rs[0]!.scenario}: ${[...files].join(", ")}`);
  }
  return [...groups.values()].map(merge);
}

function merge(rs: JsonReport[]): CheckReport {
  const complete = rs.some((r) => r.complete);
  const verdicts = {} as Record<Property, Verdict>;
  const counterexamples: Counterexample[] = [];
  for (const p of PROPERTIES) {
    const found = rs.flatMap((r) => r.counterexamples.filter((c) => c.property === p));
    found.sort((a, b) => a.length - b.length);
    const best = found[0];
    if (best !== undefined || rs.some((r) => r.verdicts[p] === "fails")) verdicts[p] = "fails";
    else verdicts[p] = rs.some((r) => r.complete && r.verdicts[p] === "holds") ? "holds" : "unknown";
    if (best !== undefined) counterexamples.push({ ...best, mermaid: "", fileName: `${rs[0]!.scenario}.${rs[0]!.policy.replace(/[,=]/g, "-")}.${p}.scn` });
  }
  const first = rs[0]!;
  const differs = first.expect === null ? [] : first.expect.differs;
  return {
    file: first.file, scenario: first.scenario, policy: first.policy, complete, stopped: complete ? null : first.stopped,
    states: rs.reduce((n, r) => n + r.states, 0), transitions: rs.reduce((n, r) => n + r.transitions, 0), depth: Math.max(...rs.map((r) => r.depth)),
    seconds: rs.reduce((n, r) => n + r.seconds, 0), verdicts, counterexamples, storage: first.storage,
    expectDiffers: first.expect === null ? [] : mergedDiffers(first, verdicts, differs), expectChecked: first.expect !== null,
    setupRefused: rs.every((r) => r.setupRefused === true), por: rs.every((r) => r.por === true), confirm: null,
  };
}

/** The @expect lines whose verdict differs once the jobs are merged (the lines are those each job compared). */
function mergedDiffers(r: JsonReport, verdicts: Record<Property, Verdict>, each: string[]): string[] {
  void r;
  return each.filter((d) => {
    const m = /^line \d+: (\S+) was expected to (hold|fail)/.exec(d) ?? /^no @expect line names (\S+), so it must (hold)/.exec(d);
    if (m === null) return true;
    const v = verdicts[m[1] as Property];
    return !((m[2] === "hold" && v === "holds") || (m[2] === "fail" && v === "fails"));
  });
}
