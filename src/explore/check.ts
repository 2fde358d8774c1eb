// `daxlease check` without the terminal: a script explored under one policy, its verdicts
// compared with the script's @expect lines, and each counterexample written as a script.
// No Node-only import: the CLI, the workers and the browser all use this.
import type { Scenario } from "../scenario/ast.js";
import { Machine } from "../machine/machine.js";
import { compile } from "../machine/program.js";
import { policyNamed } from "../policy/registry.js";
import { PROPERTIES, type Property } from "../props/names.js";
import type { LevelExpander, SearchOptions, SearchResult, Verdict } from "./search.js";
import { search, searchWith } from "./drive.js";
import { replay, writeScript, mermaid, policySlug } from "./trace.js";

export interface Counterexample {
  property: Property;
  /** Steps of the run (moves), and the script line of the step where the property failed (0: the end state). */
  length: number;
  line: number;
  detail: string;
  script: string;
  mermaid: string;
  /** File name for --out: NAME.POLICY.PROPERTY.scn. */
  fileName: string;
}

export interface CheckReport {
  file: string;
  scenario: string;
  policy: string;
  complete: boolean;
  stopped: SearchResult["stopped"];
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  verdicts: Record<Property, Verdict>;
  counterexamples: Counterexample[];
  storage: SearchResult["storage"];
  /** Where the verdicts differ from the script's @expect lines (only for the policy it is written for). */
  expectDiffers: string[];
  /** Whether @expect lines were compared at all. */
  expectChecked: boolean;
  /** The script takes long-term pins, and under this policy none was ever granted: its question does not arise. */
  setupRefused: boolean;
  /** Partial-order reduction was on; the plain search that confirmed the shortest runs (null: none ran). */
  por: boolean;
  confirm: SearchResult["confirm"];
}

export interface CheckOptions extends Partial<SearchOptions> {
  /** Write each step's changes under it in the counterexamples. */
  explain?: boolean;
}

function machineFor(sc: Scenario, policy: string): Machine {
  return new Machine(compile(sc), policyNamed(policy), { handlers: true });
}

function bounds(sc: Scenario): Partial<SearchOptions> {
  const b: Partial<SearchOptions> = {};
  if (sc.bound.states !== null) b.maxStates = sc.bound.states;
  if (sc.bound.depth !== null) b.maxDepth = sc.bound.depth;
  return b;
}

/** Partial-order reduction is on unless asked off (and never for random walks). */
function withPor(opts: CheckOptions): CheckOptions {
  return { ...opts, por: opts.por !== false && opts.mode !== "random" };
}

export function checkScenario(sc: Scenario, policy: string, opts: CheckOptions = {}): CheckReport {
  const m = machineFor(sc, policy);
  const o = withPor(opts);
  return report(sc, policy, m, search(m, { ...bounds(sc), ...o }), o);
}

/** The same, breadth first with each level expanded by `expandLevel` (worker threads): the same report. */
export async function checkScenarioWith(sc: Scenario, policy: string, opts: CheckOptions, expandLevel: LevelExpander): Promise<CheckReport> {
  const m = machineFor(sc, policy);
  const o = withPor(opts);
  return report(sc, policy, m, await searchWith(m, { ...bounds(sc), ...o }, expandLevel), o);
}

function report(sc: Scenario, policy: string, m: Machine, r: SearchResult, opts: CheckOptions): CheckReport {
  const counterexamples = r.findings.map((f): Counterexample => {
    const trace = replay(m, f.moves);
    const name = `${sc.name}.${policySlug(policy)}.${f.property}`;
    return {
      property: f.property, length: f.moves.length, line: f.line, detail: f.detail,
      script: writeScript(m, trace, name, f.property, f.detail, opts.explain === true),
      mermaid: mermaid(m, trace, f.property, f.detail),
      fileName: `${name}.scn`,
    };
  });
  // As run reads them: under the script's own policy, a property no @expect line names must hold.
  const expectChecked = policy === sc.policy;
  const expectDiffers: string[] = [];
  if (expectChecked) {
    for (const p of PROPERTIES) {
      const e = sc.expects.find((x) => x.property === p);
      const holds = e?.holds ?? true;
      const v = r.verdicts[p];
      if ((holds && v === "holds") || (!holds && v === "fails")) continue;
      const said = e === undefined ? `no @expect line names ${p}, so it must hold` : `line ${e.line}: ${p} was expected to ${holds ? "hold" : "fail"}`;
      expectDiffers.push(`${said}, and it ${v === "unknown" ? "is unknown (the search did not finish)" : v === "fails" ? "fails" : "holds"}`);
    }
  }
  return {
    file: sc.file, scenario: sc.name, policy, complete: r.complete, stopped: r.stopped, states: r.states, transitions: r.transitions,
    depth: r.depth, seconds: r.seconds, verdicts: r.verdicts, counterexamples, storage: r.storage, expectDiffers, expectChecked,
    setupRefused: r.complete && !r.pinned && takesPins(sc), por: opts.por === true, confirm: r.confirm,
  };
}

const PINNING = new Set(["ibv_reg_mr", "io_uring_register_buffers"]);

function takesPins(sc: Scenario): boolean {
  return sc.steps.some((s) => s.k === "call" && PINNING.has(s.name)) || sc.anys.some((a) => PINNING.has(a.call.name)) ||
    sc.handlers.some((h) => h.calls.some((c) => PINNING.has(c.name)));
}

/**
 * The exit status of a check (EXPLORATION.md): 1 a property fails or a verdict differs from
 * an @expect line, 4 a bound or the memory cap stopped the search before anything was found,
 * 0 otherwise.
 */
export function exitStatus(r: CheckReport): 0 | 1 | 4 {
  if (r.expectChecked) {
    if (r.expectDiffers.length === 0) return 0;
    const unknownOnly = r.expectDiffers.every((d) => d.includes("is unknown"));
    return unknownOnly ? 4 : 1;
  }
  if (PROPERTIES.some((p) => r.verdicts[p] === "fails")) return 1;
  return r.complete ? 0 : 4;
}
