// daxlease: run scenarios on the model (and, with the oracle, on the kernel).
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import pc from "picocolors";
import { loadScenario } from "./load.js";
import { ScriptError } from "../scenario/error.js";
import { formatReport, type RunReport } from "../scenario/report.js";
import { runOnModel } from "../run/model.js";
import { ALL, parsePolicy } from "../policy/registry.js";
import { scenarioFiles, UsageError } from "./files.js";
import { ModelBug } from "../kernel/assert.js";
import { registerOracleCommands } from "./oracle_cmd.js";

const VERSION = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version as string;


function policyArg(name: string): string {
  const p = parsePolicy(name);
  if (typeof p === "string") throw new UsageError(p);
  return name;
}

function firstFailure(r: RunReport): string {
  if (r.ok === null) return "skipped";
  const f = r.steps.find((s) => !s.ok);
  return f === undefined ? "held" : `line ${f.line}`;
}

function cmdRun(files: string[], opts: { policy: string; json?: boolean }): number {
  const policy = policyArg(opts.policy);
  const paths = scenarioFiles(files);
  const scs = paths.map(loadScenario); // every script is checked before any runs
  const reports = scs.map((sc) => runOnModel(sc, policy).report);
  if (opts.json) {
    process.stdout.write(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + "\n");
  } else if (reports.length === 1) {
    process.stdout.write(formatReport(reports[0]!, (s, ok) => (ok ? s : pc.red(s))) + "\n");
  } else {
    let failed = 0;
    reports.forEach((r, i) => {
      if (!r.ok) failed++;
      const verdict = r.ok ? pc.green("ok") : pc.red(`FAILED at ${firstFailure(r)}`);
      process.stdout.write(`${verdict}  ${paths[i]}\n`);
    });
    process.stdout.write(`${reports.length - failed} passed, ${failed} failed\n`);
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

function cmdPolicies(): number {
  for (const p of ALL) {
    process.stdout.write(`${pc.bold(p.name)}: ${p.summary}\n`);
    for (const r of p.rules) process.stdout.write(`  - ${r}\n`);
    for (const [k, v] of Object.entries(p.options)) process.stdout.write(`  option ${k}=${v.join("|")} (default ${v[0]})\n`);
    for (const c of p.choices) process.stdout.write(`  chosen: ${c}\n`);
    process.stdout.write(`  sources: ${p.sources.join("; ")}\n\n`);
  }
  return 0;
}

/** The main job: every bundled scenario under every policy, as a table. */
function cmdMatrix(dirs: string[]): number {
  const paths = scenarioFiles(dirs.length ? dirs : [new URL("../../../scenarios", import.meta.url).pathname]);
  const scs = paths.map(loadScenario);
  const names = ALL.map((p) => p.name);
  const width = Math.max(...scs.map((s) => s.name.length), 8);
  process.stdout.write(`${"scenario".padEnd(width)}  ${names.map((n) => n.padEnd(10)).join("  ")}\n`);
  let bad = 0;
  for (const sc of scs) {
    const cells = names.map((n) => {
      const r = runOnModel(sc, n).report;
      if (!r.ok) bad++;
      const c = firstFailure(r).padEnd(10);
      return r.ok ? pc.green(c) : pc.red(c);
    });
    process.stdout.write(`${sc.name.padEnd(width)}  ${cells.join("  ")}\n`);
  }
  process.stdout.write(`\n${scs.length} scenarios x ${names.length} policies: ${scs.length * names.length - bad} held, ${bad} with a failing step\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let code = 0;
  program.name("daxlease").description("An executable model of Linux file leases and long-term page pins").version(VERSION)
    .exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.command("run").description("run scenarios on the model").argument("<files...>", "scenario files or directories")
    .option("--policy <name>", "the policy to run under", "linux").option("--json", "print the JSON report")
    .action((files: string[], opts: { policy: string; json?: boolean }) => { code = cmdRun(files, opts); });
  program.command("policies").description("list the policies and their rules").action(() => { code = cmdPolicies(); });
  program.command("matrix").description("run every scenario under every policy (npm start)").argument("[dirs...]")
    .action((dirs: string[]) => { code = cmdMatrix(dirs); });
  registerOracleCommands(program, (c) => { code = c; });
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return reportError(e);
  }
  return code;
}

export function reportError(e: unknown): number {
  if (e instanceof ScriptError || e instanceof UsageError) {
    process.stderr.write((e instanceof UsageError ? "daxlease: " : "") + e.message + "\n");
    return 2;
  }
  if (e instanceof ModelBug) {
    process.stderr.write(`daxlease: BUG in the model: ${e.message}\n`);
    return 70;
  }
  throw e;
}
