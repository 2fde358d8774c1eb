// `daxlease check` (every interleaving of a script, the five properties judged in every state,
// the shortest counterexample as a replayable script) and `daxlease verdict` (the scenario x
// policy matrix), on a terminal: options, progress on stderr, files for --out.
import type { Command } from "commander";
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import v8 from "node:v8";
import cliProgress from "cli-progress";
import { pc } from "./colors.js";
import { scenarioFiles, UsageError } from "./files.js";
import { loadScenarios } from "./load.js";
import { parsePolicy, policyVariants } from "../policy/registry.js";
import { PROPERTIES } from "../props/names.js";
import { checkScenario, checkScenarioWith, exitStatus, type CheckReport, type CheckOptions } from "../explore/check.js";
import { workerPool } from "../explore/node/pool.js";
import type { Mode, Progress } from "../explore/search.js";
import { verdictTable, verdictRows, type VerdictCell } from "../explore/verdict.js";
import { mergeReports, MergeError, type JsonReport } from "../explore/merge.js";
import type { Scenario } from "../scenario/ast.js";

interface CheckFlags {
  policy?: string; bfs?: boolean; dfs?: boolean; random?: boolean; seed?: string; walks?: string;
  maxStates?: string; maxDepth?: string; maxMemory?: string; exact?: boolean; json?: boolean; out?: string;
  explain?: boolean; mermaid?: boolean; workers?: string; shard?: string; por?: boolean;
}

/** Without --max-memory a search stops cleanly (exit 4) at 80% of the heap V8 allows, not in an out-of-memory crash. */
function memoryCap(mb: number | undefined): { maxMemoryMB: number; memoryMB: () => number } {
  return { maxMemoryMB: mb ?? Math.floor((v8.getHeapStatistics().heap_size_limit / 2 ** 20) * 0.8), memoryMB: () => process.memoryUsage().heapUsed / 2 ** 20 };
}

/** 1 (a finding) over 4 (a search that did not finish) over 0. */
function worst(a: number, b: number): number {
  return a === 1 || b === 1 ? 1 : a === 4 || b === 4 ? 4 : 0;
}

/** A positive integer option, or a usage error naming it. */
export function intOption(name: string, v: string | undefined, min = 1): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} takes a whole number of at least ${min}, not ${JSON.stringify(v)}`);
  return Number(v);
}

function policiesFor(sc: Scenario, flag: string | undefined): string[] {
  if (flag === undefined) return [sc.policy];
  if (flag === "all") return policyVariants();
  const p = parsePolicy(flag);
  if (typeof p === "string") throw new UsageError(p);
  return [flag];
}

function searchOptions(f: CheckFlags): CheckOptions {
  const modes = [f.bfs && "bfs", f.dfs && "dfs", f.random && "random"].filter(Boolean) as Mode[];
  if (modes.length > 1) throw new UsageError("choose one of --bfs, --dfs and --random");
  const o: CheckOptions = { mode: modes[0] ?? "bfs", exact: f.exact === true, explain: f.explain === true, por: f.por !== false, now: () => performance.now() };
  const states = intOption("max-states", f.maxStates), depth = intOption("max-depth", f.maxDepth), mem = intOption("max-memory", f.maxMemory);
  const seed = intOption("seed", f.seed, 0), walks = intOption("walks", f.walks);
  if (states !== undefined) o.maxStates = states;
  if (depth !== undefined) o.maxDepth = depth;
  Object.assign(o, memoryCap(mem));
  if (seed !== undefined) o.seed = seed;
  if (walks !== undefined) o.walks = walks;
  if ((f.seed !== undefined || f.walks !== undefined) && o.mode !== "random") throw new UsageError("--seed and --walks go with --random");
  if (f.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(f.shard);
    if (m === null || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new UsageError(`--shard takes I/N with 0 <= I < N, not ${JSON.stringify(f.shard)}`);
    if (o.mode !== "random") throw new UsageError("--shard goes with --random (an exhaustive search cannot be split without the jobs talking to each other)");
    o.shard = [Number(m[1]), Number(m[2])];
  }
  return o;
}

/** One check, in this thread or, with workers > 1, breadth first over worker threads (the same answers). */
async function runCheck(sc: Scenario, policy: string, opts: CheckOptions, workers: number): Promise<CheckReport> {
  if (workers <= 1) return checkScenario(sc, policy, opts);
  const pool = workerPool(workers, sc, policy, opts.exact === true);
  try { return await checkScenarioWith(sc, policy, opts, pool.expand); } finally { await pool.close(); }
}

/** Progress on stderr, at least once a second, only on a terminal. */
function progressBar(label: string): { update: (p: Progress) => void; stop: () => void } {
  if (process.stderr.isTTY !== true) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({
    stream: process.stderr, format: `${label} {states} states, depth {depth}, {rate} states/s, {mem} MB`, hideCursor: true, clearOnComplete: true,
    fps: 2,
  }, cliProgress.Presets.shades_classic);
  bar.start(1, 0, { states: 0, depth: 0, rate: 0, mem: 0 });
  return {
    update: (p) => bar.update(0, {
      states: p.states.toLocaleString("en"), depth: p.depth, rate: Math.round(p.states / Math.max(p.seconds, 1e-3)).toLocaleString("en"),
      mem: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    }),
    stop: () => bar.stop(),
  };
}

function fmtCount(n: number): string {
  return n.toLocaleString("en");
}

export function storageLine(r: CheckReport): string {
  if (r.stopped === "random") return "random walks keep no states (the states figure counts the distinct states they passed through)";
  if (r.storage.exact) return `states stored exactly (${Math.round(r.storage.bytesPerState)} bytes each)`;
  const p = r.storage.missProbability;
  return `states stored as 64-bit hashes (${Math.round(r.storage.bytesPerState)} bytes each); P(a state was missed) < ${p < 1e-15 ? "1e-15" : p.toExponential(1)}`;
}

/** What the partial-order reduction did: on, and what confirming the shortest runs cost. */
export function porLine(r: CheckReport): string {
  const c = r.confirm;
  const confirm = c === null ? "" : `; shortest runs confirmed by a plain search of ${fmtCount(c.states)} states (${c.seconds.toFixed(2)} s)${c.complete ? "" : ", which a bound stopped: a run may be longer than the shortest"}`;
  return `partial-order reduction on (--no-por: every interleaving)${confirm}`;
}

function formatCheck(r: CheckReport, f: CheckFlags): string {
  const out: string[] = [];
  const how = r.complete ? "complete" : r.stopped === "random" ? "random walks (incomplete)" : `INCOMPLETE (stopped by ${r.stopped === "memory" ? "the memory cap" : `--max-${r.stopped}`})`;
  out.push(`${pc.bold(r.scenario)} (${r.file}) under ${pc.bold(r.policy)}: ${how}, ${fmtCount(r.states)} states, ${fmtCount(r.transitions)} transitions, depth ${r.depth}, ${r.seconds.toFixed(2)} s`);
  out.push(`  ${storageLine(r)}`);
  if (r.por) out.push(`  ${porLine(r)}`);
  for (const p of PROPERTIES) {
    const v = r.verdicts[p];
    const c = r.counterexamples.find((x) => x.property === p);
    const text = v === "fails" ? pc.red("fails") : v === "holds" ? pc.green("holds") : pc.yellow("unknown");
    out.push(`  ${p.padEnd(17)} ${text}${c ? `   shortest run: ${c.length} steps${c.line > 0 ? `, fails at line ${c.line}` : ""}` : ""}`);
  }
  if (r.expectChecked) out.push(r.expectDiffers.length === 0 ? `  @expect: every verdict as the script says` : r.expectDiffers.map((d) => `  ${pc.red(`@expect differs: ${d}`)}`).join("\n"));
  for (const c of r.counterexamples) {
    out.push("", pc.bold(`# ${c.property} under ${r.policy}: the shortest run (${c.length} steps)`), c.script.trimEnd());
    if (f.mermaid) out.push("", "```mermaid", c.mermaid.trimEnd(), "```");
  }
  return out.join("\n");
}

async function cmdCheck(files: string[], f: CheckFlags): Promise<number> {
  const scs = loadScenarios(scenarioFiles(files));
  const opts = searchOptions(f);
  const workers = intOption("workers", f.workers) ?? 1;
  if (workers > 1 && opts.mode !== "bfs") throw new UsageError("--workers goes with the breadth-first search (--bfs)");
  const reports: CheckReport[] = [];
  const shardOf = new Map<CheckReport, string>();
  let status = 0;
  for (const sc of scs) {
    for (const policy of policiesFor(sc, f.policy)) {
      const bar = progressBar(`${sc.name} under ${policy}:`);
      let r: CheckReport;
      try { r = await runCheck(sc, policy, { ...opts, progress: bar.update }, workers); } finally { bar.stop(); }
      reports.push(r);
      if (f.shard !== undefined) shardOf.set(r, f.shard);
      status = worst(status, exitStatus(r));
      if (f.out !== undefined) {
        mkdirSync(f.out, { recursive: true });
        for (const c of r.counterexamples) {
          writeFileSync(join(f.out, c.fileName), c.script);
          if (f.mermaid) writeFileSync(join(f.out, c.fileName.replace(/\.scn$/, ".mmd")), c.mermaid);
        }
      }
      if (!f.json) process.stdout.write(formatCheck(r, f) + "\n\n");
    }
  }
  if (f.json) process.stdout.write(JSON.stringify(reports.map((r) => jsonReport(r, shardOf.get(r) ?? null)), null, 2) + "\n");
  return status;
}

/** The contract's JSON for one policy explored (EXPLORATION.md), with the file it came from. */
export function jsonReport(r: CheckReport, shard: string | null = null) {
  return {
    file: r.file, scenario: r.scenario, policy: r.policy, shard, setupRefused: r.setupRefused, complete: r.complete, stopped: r.stopped, states: r.states,
    transitions: r.transitions, depth: r.depth, seconds: Number(r.seconds.toFixed(3)), verdicts: r.verdicts,
    counterexamples: r.counterexamples.map((c) => ({ property: c.property, length: c.length, line: c.line, detail: c.detail, script: c.script })),
    storage: r.storage, expect: r.expectChecked ? { matches: r.expectDiffers.length === 0, differs: r.expectDiffers } : null,
    por: r.por, confirm: r.confirm === null ? null : { states: r.confirm.states, complete: r.confirm.complete },
  };
}

/** verdict --merge: the jobs' JSON reports, merged into one verdict per script and policy. */
function cmdMerge(files: string[], f: { json?: boolean; wide?: boolean }): number {
  if (files.length === 0) throw new UsageError("--merge needs the JSON files of check --json");
  const all: JsonReport[] = [];
  for (const file of files) {
    let data: unknown;
    try { data = JSON.parse(readFileSync(file, "utf8")); } catch (e) { throw new UsageError(`${file}: ${e instanceof SyntaxError ? "not JSON" : "cannot read"}`); }
    if (!Array.isArray(data)) throw new UsageError(`${file}: not the array daxlease check --json prints`);
    all.push(...(data as JsonReport[]));
  }
  let merged: CheckReport[];
  try { merged = mergeReports(all); } catch (e) { if (e instanceof MergeError) throw new UsageError(e.message); throw e; }
  const policies = [...new Set(merged.map((r) => r.policy))];
  const cells: VerdictCell[] = merged.map((report) => {
    let question = "Other scripts";
    try { question = /^#\s*question:\s*(.+)$/im.exec(readFileSync(report.file, "utf8"))?.[1]?.trim() ?? question; } catch { /* the script is not here */ }
    return { question, report, written: report.policy };
  });
  if (f.json) process.stdout.write(JSON.stringify(verdictRows(cells), null, 2) + "\n");
  else process.stdout.write(verdictTable(cells, policies, { wide: f.wide === true, color: (s, bad) => (bad ? pc.red(s) : s) }) + "\n");
  return merged.some((r) => r.expectChecked && r.expectDiffers.length > 0) ? 1 : merged.some((r) => !r.complete) ? 4 : 0;
}

interface VerdictFlags { json?: boolean; wide?: boolean; policy?: string; maxStates?: string; merge?: boolean; por?: boolean }

async function cmdVerdict(files: string[], f: VerdictFlags): Promise<number> {
  if (f.merge) return cmdMerge(files, f);
  const dirs = files.length ? files : [new URL("../../../scenarios/explore", import.meta.url).pathname];
  const paths = scenarioFiles(dirs);
  const scs = loadScenarios(paths);
  const policies = f.policy === undefined ? policyVariants() : [f.policy];
  for (const p of policies) { const e = parsePolicy(p); if (typeof e === "string") throw new UsageError(e); }
  const maxStates = intOption("max-states", f.maxStates);
  const cells: VerdictCell[] = [];
  for (let i = 0; i < scs.length; i++) {
    const sc = scs[i]!;
    const question = /^#\s*question:\s*(.+)$/im.exec(readFileSync(paths[i]!, "utf8"))?.[1]?.trim() ?? "Other scripts";
    for (const policy of policies) {
      const bar = progressBar(`${sc.name} under ${policy}:`);
      let r: CheckReport;
      try { r = checkScenario(sc, policy, { now: () => performance.now(), progress: bar.update, por: f.por !== false, ...memoryCap(undefined), ...(maxStates ? { maxStates } : {}) }); } finally { bar.stop(); }
      cells.push({ question, report: r, written: sc.policy });
    }
  }
  if (f.json) {
    process.stdout.write(JSON.stringify(verdictRows(cells), null, 2) + "\n");
  } else {
    process.stdout.write(verdictTable(cells, policies, { wide: f.wide === true, color: (s, bad) => (bad ? pc.red(s) : s) }) + "\n");
  }
  const differs = cells.some((c) => c.report.expectChecked && c.report.expectDiffers.length > 0);
  return differs ? 1 : cells.some((c) => !c.report.complete) ? 4 : 0;
}

export function registerCheckCommands(program: Command, done: (code: number) => void) {
  program.command("check").description("explore every interleaving of scripts; print the shortest run that breaks each property")
    .argument("<files...>", "scenario files or directories")
    .option("--policy <name>", "the policy to explore, or all (default: the script's @policy)")
    .option("--bfs", "breadth first (default): shortest counterexamples").option("--dfs", "depth first: less memory")
    .option("--random", "seeded random walks, for spaces too big to finish").option("--seed <n>", "seed of --random (default 1)")
    .option("--walks <n>", "walks of --random (default 1000)").option("--max-states <n>", "stop after this many states (default 2000000)")
    .option("--max-depth <n>", "explore runs of at most this many steps (default 1000)").option("--max-memory <mb>", "stop cleanly when the heap passes this")
    .option("--exact", "store full states, not 64-bit hashes").option("--json", "print one JSON object per policy explored, in an array")
    .option("--out <dir>", "write each counterexample as DIR/NAME.POLICY.PROPERTY.scn").option("--explain", "under each step of a counterexample, what it changed")
    .option("--mermaid", "each counterexample as a Mermaid sequence diagram too")
    .option("--workers <n>", "expand each breadth-first level in n worker threads (the same answers; default 1)")
    .option("--shard <i/n>", "with --random: run walk w only when w % n == i; n such jobs run the walks of one (merge with verdict --merge)")
    .option("--no-por", "no partial-order reduction: every interleaving of local steps too (the same verdicts and shortest runs, more states)")
    .addHelpText("after", "\nExit status: 0 every property holds (or every verdict is as the script's @expect lines say), 1 a property fails\n(or a verdict differs from an @expect line), 2 the script cannot be run, 4 a bound or the memory cap stopped the\nsearch before anything was found (verdicts unknown, never holds). 70: a bug in the model.")
    .action(async (files: string[], f: CheckFlags) => { done(await cmdCheck(files, f)); });
  program.command("verdict").description("every script under every policy: which proposal keeps which promise (npm start)")
    .argument("[files...]", "scenario files or directories (default: scenarios/explore)")
    .option("--json", "the matrix as JSON rows").option("--wide", "full policy names (wider than 120 columns)")
    .option("--policy <name>", "one policy only").option("--max-states <n>", "bound each search")
    .option("--merge", "the arguments are JSON files of check --json (shards): merge them into one verdict")
    .option("--no-por", "no partial-order reduction (the same verdicts, more states)")
    .addHelpText("after", "\nExit status: 0 every search finished and every verdict is as its script's @expect lines say, 1 one differs,\n2 a script cannot be run, 4 a search did not finish.")
    .action(async (files: string[], f: VerdictFlags) => { done(await cmdVerdict(files, f)); });
}
