// `daxlease oracle` (scenarios on the real kernel) and `daxlease diff` (model against kernel).
// Results are printed as each scenario ends; a run that compared nothing exits 3, never 0.
import type { Command } from "commander";
import { pc } from "./colors.js";
import { formatReport, type RunReport } from "../scenario/report.js";
import type { Scenario } from "../scenario/ast.js";
import { runOnModel } from "../run/model.js";
import { runOnKernel, diffReports, oracleAvailable, kernelSkipReason, cleanupMachine } from "../oracle/index.js";
import { UsageError } from "./files.js";
import { diffSteps, type Difference } from "../oracle/diff.js";
import { parsePolicy } from "../policy/registry.js";
import { Progress } from "./progress.js";
import { brokenNote, countOption, finalStatus, jsonBroken, jsonReport, loadAll, printJson } from "./batch.js";

/** What running as root on the kernel does to the machine, for --help and the docs. */
export const ROOT_NOTE = `As root, each scenario mounts its filesystems (tmpfs, or loop-mounted ext4 and xfs
images under /var/tmp) and may set fs.lease-break-time and fs.leases-enable; all of it
is undone after the scenario, and by the next run if one crashed.`;

/** The policy a script's expectations are written for, when it is not today's kernel. */
function otherPolicy(sc: Scenario): string | null {
  const p = parsePolicy(sc.policy);
  return typeof p !== "string" && p.name === "linux" ? null : sc.policy;
}

/** Why `oracle` does not run this script: a call no kernel has, or expectations written for a proposal. */
function oracleSkip(sc: Scenario): string | null {
  const why = kernelSkipReason(sc);
  if (why !== null) return why;
  const other = otherPolicy(sc);
  if (other !== null) return `written for @policy ${other}, not for today's kernel (daxlease diff compares it with the model's linux policy)`;
  return null;
}

function firstFailure(r: RunReport): string {
  const f = r.steps.find((s) => !s.ok);
  return f === undefined ? "ok" : `FAILED at line ${f.line}`;
}

function skippedReport(sc: Scenario, why: string): RunReport {
  return { scenario: sc.name, policy: "kernel", ok: null, steps: [], skipped: why };
}

/** `oracle --cleanup`: undoes what interrupted runs left (their own next run does too), and says what. */
async function cmdCleanup(): Promise<number> {
  const avail = oracleAvailable();
  if (!avail.ok) {
    process.stderr.write(`daxlease: ${avail.why}\n`);
    return 3;
  }
  const r = await cleanupMachine();
  if ("busy" in r) {
    process.stderr.write(`daxlease: a run (pid ${r.busy}) is under way; nothing cleaned\n`);
    return 1;
  }
  process.stderr.write(r.did.length > 0
    ? `daxlease: cleaned up after an interrupted run: ${r.did.join("; ")}\n`
    : "daxlease: nothing to clean up\n");
  return 0;
}

async function cmdOracle(files: string[], opts: { json?: boolean; cleanup?: boolean }): Promise<number> {
  if (opts.cleanup) {
    if (files.length > 0) throw new UsageError("oracle --cleanup takes no files");
    return cmdCleanup();
  }
  if (files.length === 0) throw new UsageError("oracle needs scenario files or directories (or --cleanup)");
  const loaded = loadAll(files);
  const avail = oracleAvailable();
  const json: unknown[] = loaded.broken.map(jsonBroken);
  const single = loaded.scripts.length + loaded.broken.length === 1;
  if (!avail.ok && !opts.json && !single) {
    process.stdout.write(`nothing run: ${avail.why}\n`);
    return finalStatus(loaded, 3);
  }
  let passed = 0, failed = 0, skipped = 0;
  const progress = new Progress(loaded.scripts.length, "scenarios on the kernel");
  try {
    for (const { file, sc } of loaded.scripts) {
      progress.now(file);
      const why = oracleSkip(sc);
      const r = why !== null ? skippedReport(sc, why) : await runOnKernel(sc);
      progress.tick();
      if (r.skipped !== undefined) skipped++;
      else if (r.ok) passed++;
      else failed++;
      if (opts.json) json.push(jsonReport(file, r));
      else if (single) progress.print(formatReport(r, (s, ok) => (ok ? s : pc.red(s))) + "\n");
      else {
        const v = r.skipped !== undefined ? pc.yellow(`skipped (${r.skipped})`) : r.ok ? pc.green("ok") : pc.red(firstFailure(r));
        progress.print(`${v}  ${file}\n`);
      }
    }
  } finally {
    progress.stop();
  }
  if (opts.json) printJson(json);
  else if (!single) process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped${brokenNote(loaded)}\n`);
  return finalStatus(loaded, failed > 0 ? 1 : passed === 0 ? 3 : 0);
}

export interface ScenarioDiff {
  skipped?: string;
  /** One line per difference, as `diff` prints them. */
  lines: string[];
  differences: Difference[];
}

/**
 * The model (under linux, today's kernel, whatever the script's @policy) against the kernel
 * `runs` times: runs that disagree with each other are a difference too.
 */
export async function diffScenario(sc: Scenario, runs: number): Promise<ScenarioDiff> {
  const model = runOnModel(sc, "linux").report;
  const first = await runOnKernel(sc);
  if (first.skipped !== undefined) return { skipped: first.skipped, lines: [], differences: [] };
  const kernels = [first];
  const lines = diffReports(model, first);
  for (let i = 1; i < runs; i++) {
    const again = await runOnKernel(sc);
    kernels.push(again);
    for (const l of diffReports(first, again)) lines.push(`unstable on the kernel (run ${i + 1}): ${l.replace("model", "run 1").replace("kernel", `run ${i + 1}`)}`);
  }
  return { lines, differences: diffSteps(model, kernels) };
}

async function cmdDiff(files: string[], opts: { runs: string; json?: boolean }): Promise<number> {
  const runs = countOption(opts.runs, "--runs", 1);
  const loaded = loadAll(files);
  const avail = oracleAvailable();
  const json: unknown[] = loaded.broken.map(jsonBroken);
  if (!avail.ok && !opts.json) {
    process.stdout.write(`nothing compared: ${avail.why}\n`);
    return finalStatus(loaded, 3);
  }
  let same = 0, differ = 0, skipped = 0;
  const t0 = Date.now();
  const progress = new Progress(loaded.scripts.length, "scenarios on model and kernel");
  try {
    for (const { file, sc } of loaded.scripts) {
      progress.now(file);
      const r = await diffScenario(sc, runs);
      progress.tick();
      const other = otherPolicy(sc);
      const note = other === null ? "" : `  (the model ran linux; the script is written for ${other})`;
      if (r.skipped !== undefined) skipped++;
      else if (r.lines.length > 0) differ++;
      else same++;
      if (opts.json) {
        json.push(jsonReport(file, {
          scenario: sc.name, policy: "linux", ok: r.skipped !== undefined ? null : r.lines.length === 0, steps: [],
          ...(r.skipped !== undefined ? { skipped: r.skipped } : {}), runs, differences: r.differences,
        }));
      } else if (r.skipped !== undefined) progress.print(`${pc.yellow("skipped")}  ${file}: ${r.skipped}\n`);
      else if (r.lines.length > 0) progress.print(`${pc.red("differs")}  ${file}${note}\n${r.lines.map((l) => `    ${l}`).join("\n")}\n`);
      else progress.print(`${pc.green("same")}     ${file}${note}\n`);
    }
  } finally {
    progress.stop();
  }
  if (opts.json) printJson(json);
  else {
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    process.stdout.write(`${same} same, ${differ} differ, ${skipped} skipped${brokenNote(loaded)} (kernel runs each: ${runs}; ${secs} s)\n`);
    if (same + differ === 0) process.stdout.write("nothing compared: every scenario was skipped\n");
  }
  return finalStatus(loaded, differ > 0 ? 1 : same === 0 ? 3 : 0);
}

export function registerOracleCommands(program: Command, done: (code: number) => void) {
  program.command("oracle").description("run scenarios on this machine's real kernel (Linux, root, cc)").argument("[files...]")
    .option("--json", "print an array of reports (docs/commands.md)")
    .option("--cleanup", "undo what an interrupted run left (sysctls, run directories, the lock), and say what")
    .addHelpText("after", `
Scripts that use a call or flag no kernel has (docs/calls.md), or that are written for
another @policy than linux, are skipped with the reason; \`diff\` compares those the kernel
can run with the model's linux policy.
${ROOT_NOTE}
Exit status: 0 every step as written, 1 one was not, 2 a script or option is wrong,
3 nothing ran (every scenario skipped, or no oracle here: not Linux, not root, no cc).`)
    .action(async (files: string[], opts: { json?: boolean; cleanup?: boolean }) => { done(await cmdOracle(files, opts)); });
  program.command("diff").description("run scenarios on the model (policy linux) and the kernel; show where they differ").argument("<files...>")
    .option("--runs <n>", "run the kernel side n times; disagreeing runs count as a difference", "1")
    .option("--json", "print an array of reports with their differences (docs/commands.md)")
    .addHelpText("after", `
The model runs under linux, today's kernel, whatever a script's @policy says: the kernel
is the judge of that policy only. Results are compared, not expectations.
${ROOT_NOTE}
Exit status: 0 model and kernel agree on every scenario compared, 1 a step differs,
2 a script or option is wrong, 3 nothing compared (every scenario skipped, or no oracle).`)
    .action(async (files: string[], opts: { runs: string; json?: boolean }) => { done(await cmdDiff(files, opts)); });
}
