// `daxlease oracle` (scenarios on the real kernel) and `daxlease diff` (model against kernel).
import type { Command } from "commander";
import { pc } from "./colors.js";
import { formatReport, type RunReport } from "../scenario/report.js";
import type { Scenario } from "../scenario/ast.js";
import { runOnModel } from "../run/model.js";
import { runOnKernel, diffReports, oracleAvailable, cleanupMachine } from "../oracle/index.js";
import { scenarioFiles, UsageError } from "./files.js";
import { loadScenarios } from "./load.js";

function firstFailure(r: RunReport): string {
  const f = r.steps.find((s) => !s.ok);
  return f === undefined ? "ok" : `FAILED at line ${f.line}`;
}

/** `oracle --cleanup`: undoes what interrupted runs left (their own next run does too), and says what. */
async function cmdCleanup(): Promise<number> {
  const avail = oracleAvailable();
  if (!avail.ok) {
    process.stderr.write(`daxlease oracle: ${avail.why}\n`);
    return 3;
  }
  const r = await cleanupMachine();
  if ("busy" in r) {
    process.stderr.write(`daxlease oracle: a run (pid ${r.busy}) is under way; nothing cleaned\n`);
    return 1;
  }
  process.stderr.write(r.did.length > 0
    ? `daxlease oracle: cleaned up after an interrupted run: ${r.did.join("; ")}\n`
    : "daxlease oracle: nothing to clean up\n");
  return 0;
}

async function cmdOracle(files: string[], opts: { json?: boolean; cleanup?: boolean }): Promise<number> {
  if (opts.cleanup) {
    if (files.length > 0) throw new UsageError("oracle --cleanup takes no files");
    return cmdCleanup();
  }
  if (files.length === 0) throw new UsageError("oracle needs scenario files or directories (or --cleanup)");
  const paths = scenarioFiles(files);
  const scs = loadScenarios(paths);
  const reports: RunReport[] = [];
  for (const sc of scs) reports.push(await runOnKernel(sc));
  if (opts.json) {
    const out = reports.map((r) => (r.skipped !== undefined ? { skipped: r.skipped, ok: null, steps: [] } : r));
    process.stdout.write(JSON.stringify(out.length === 1 ? out[0] : out, null, 2) + "\n");
  } else if (reports.length === 1) {
    process.stdout.write(formatReport(reports[0]!, (s, ok) => (ok ? s : pc.red(s))) + "\n");
  } else {
    reports.forEach((r, i) => {
      const v = r.skipped !== undefined ? pc.yellow(`skipped (${r.skipped})`) : r.ok ? pc.green("ok") : pc.red(firstFailure(r));
      process.stdout.write(`${v}  ${paths[i]}\n`);
    });
    const skipped = reports.filter((r) => r.skipped !== undefined).length;
    const failed = reports.filter((r) => r.ok === false).length;
    process.stdout.write(`${reports.length - skipped - failed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
  if (reports.some((r) => r.ok === false)) return 1;
  return reports.every((r) => r.skipped !== undefined) ? 3 : 0;
}

/** The kernel side `runs` times: runs that disagree with each other are a difference too. */
export async function diffScenario(sc: Scenario, runs: number): Promise<{ skipped?: string; lines: string[] }> {
  const model = runOnModel(sc).report;
  const first = await runOnKernel(sc);
  if (first.skipped !== undefined) return { skipped: first.skipped, lines: [] };
  const lines = diffReports(model, first);
  for (let i = 1; i < runs; i++) {
    const again = await runOnKernel(sc);
    for (const l of diffReports(first, again)) lines.push(`unstable on the kernel (run ${i + 1}): ${l.replace("model", "run 1").replace("kernel", `run ${i + 1}`)}`);
  }
  return { lines };
}

async function cmdDiff(files: string[], opts: { runs: string }): Promise<number> {
  const avail = oracleAvailable();
  if (!avail.ok) {
    process.stdout.write(`skipped: ${avail.why}\n`);
    return 3;
  }
  const runs = Math.max(1, Number(opts.runs) || 1);
  const paths = scenarioFiles(files);
  const scs = loadScenarios(paths);
  let differ = 0, skipped = 0;
  const t0 = Date.now();
  for (let i = 0; i < scs.length; i++) {
    const r = await diffScenario(scs[i]!, runs);
    if (r.skipped !== undefined) {
      skipped++;
      process.stdout.write(`${pc.yellow("skipped")}  ${paths[i]}: ${r.skipped}\n`);
    } else if (r.lines.length > 0) {
      differ++;
      process.stdout.write(`${pc.red("differs")}  ${paths[i]}\n${r.lines.map((l) => `    ${l}`).join("\n")}\n`);
    } else process.stdout.write(`${pc.green("same")}     ${paths[i]}\n`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  process.stdout.write(`${scs.length - differ - skipped} same, ${differ} differ, ${skipped} skipped (kernel runs each: ${runs}; ${secs} s)\n`);
  return differ > 0 ? 1 : 0;
}

export function registerOracleCommands(program: Command, done: (code: number) => void) {
  program.command("oracle").description("run scenarios on this machine's real kernel").argument("[files...]")
    .option("--json", "print the JSON report")
    .option("--cleanup", "undo what an interrupted run left (sysctls, run directories, the lock)")
    .action(async (files: string[], opts: { json?: boolean; cleanup?: boolean }) => { done(await cmdOracle(files, opts)); });
  program.command("diff").description("run scenarios on the model and the kernel, and show where they differ").argument("<files...>")
    .option("--runs <n>", "run the kernel side n times; disagreeing runs count as a difference", "1")
    .action(async (files: string[], opts: { runs: string }) => { done(await cmdDiff(files, opts)); });
}
