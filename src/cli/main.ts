// daxlease: run scenarios on the model (and, with the oracle, on the kernel).
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { pc } from "./colors.js";
import { loadScenario } from "./load.js";
import { ScriptError } from "../scenario/error.js";
import { formatReport, type RunReport } from "../scenario/report.js";
import { runOnModel } from "../run/model.js";
import { ALL, parsePolicy } from "../policy/registry.js";
import { scenarioFiles, UsageError } from "./files.js";
import { ModelBug } from "../kernel/assert.js";
import { registerOracleCommands } from "./oracle_cmd.js";
import { registerFuzzCommand } from "./fuzz_cmd.js";
import { registerImportCommands } from "./import_cmd.js";
import { registerManCommand } from "./man_cmd.js";

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

function cmdRun(files: string[], opts: { policy?: string; json?: boolean }): number {
  const policy = opts.policy === undefined ? undefined : policyArg(opts.policy);
  const paths = scenarioFiles(files);
  const scs = paths.map(loadScenario); // every script is checked before any runs
  // Without --policy, each script runs under the policy it is written for (@policy, default linux).
  const reports = scs.map((sc) => runOnModel(sc, policy ?? sc.policy).report);
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

const SHORT: Record<string, string> = {
  "no-corruption": "C", "user-told": "T", "pinner-visible": "V", "recoverable": "R", "no-innocent-hang": "H",
};

/** A matrix cell: "held", or the first failing step and each failed property with its line. */
function cell(r: RunReport): string {
  const parts: string[] = [];
  const f = r.steps.find((s) => !s.ok);
  if (f !== undefined) parts.push(`@${f.line}`);
  for (const v of r.violations ?? []) parts.push(`${SHORT[v.property] ?? v.property}${v.line}`);
  if ((r.expectFailures ?? []).length > 0 && parts.length === 0) parts.push("expect");
  return parts.length === 0 ? "held" : parts.join(" ");
}

/** The main job: every bundled scenario under every policy, as a table. */
function cmdMatrix(dirs: string[]): number {
  const paths = scenarioFiles(dirs.length ? dirs : [new URL("../../../scenarios", import.meta.url).pathname]);
  const scs = paths.map(loadScenario);
  const names = ALL.map((p) => p.name);
  const width = Math.max(...scs.map((s) => s.name.length), 8);
  const cols = names.map((n) => Math.max(n.length, 9));
  process.stdout.write(`${"scenario".padEnd(width)}  ${names.map((n, i) => n.padEnd(cols[i]!)).join("  ")}\n`);
  let held = 0, cells = 0;
  const props = new Map<string, number>();
  for (const sc of scs) {
    const row = names.map((n, i) => {
      const r = runOnModel(sc, n).report;
      cells++;
      for (const v of r.violations ?? []) props.set(`${n} ${v.property}`, (props.get(`${n} ${v.property}`) ?? 0) + 1);
      const c = cell(r);
      if (c === "held") held++;
      const text = c.length > cols[i]! ? c.slice(0, cols[i]! - 1) + "+" : c.padEnd(cols[i]!);
      return c === "held" ? pc.green(text) : pc.red(text);
    });
    process.stdout.write(`${sc.name.padEnd(width)}  ${row.join("  ")}\n`);
  }
  process.stdout.write(`\n${scs.length} scenarios x ${names.length} policies: ${held} held every step and property.\n`);
  process.stdout.write("A cell lists the first step that did not go as written (@line) and each property that failed, with its line:\n");
  process.stdout.write("C no-corruption, T user-told, V pinner-visible, R recoverable, H no-innocent-hang.\n");
  for (const n of names) {
    const failed = [...props].filter(([k]) => k.startsWith(n + " ")).map(([k, c]) => `${k.slice(n.length + 1)} x${c}`);
    process.stdout.write(`  ${n.padEnd(14)} ${failed.length ? failed.join(", ") : "every property held in every scenario"}\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let code = 0;
  program.name("daxlease").description("An executable model of Linux file leases and long-term page pins").version(VERSION)
    .exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.command("run").description("run scenarios on the model").argument("<files...>", "scenario files or directories")
    .option("--policy <name>", "the policy to run under (default: the script's @policy, or linux)").option("--json", "print the JSON report")
    .action((files: string[], opts: { policy?: string; json?: boolean }) => { code = cmdRun(files, opts); });
  program.command("policies").description("list the policies and their rules").action(() => { code = cmdPolicies(); });
  program.command("matrix").description("run every scenario under every policy (npm start)").argument("[dirs...]")
    .action((dirs: string[]) => { code = cmdMatrix(dirs); });
  registerOracleCommands(program, (c) => { code = c; });
  registerFuzzCommand(program, (c) => { code = c; });
  registerImportCommands(program, (c) => { code = c; });
  registerManCommand(program, (c) => { code = c; });
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
