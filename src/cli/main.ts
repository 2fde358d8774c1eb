// daxlease: run scenarios on the model (and, with the oracle, on the kernel).
import { Command, CommanderError } from "commander";
import { readFileSync } from "node:fs";
import { pc } from "./colors.js";
import { ScriptError } from "../scenario/error.js";
import { ALL } from "../policy/registry.js";
import { UsageError } from "./files.js";
import { ModelBug } from "../kernel/include/assert.js";
import { registerRunCommand } from "./run_cmd.js";
import { registerMatrixCommand } from "./matrix_cmd.js";
import { registerCallsCommand } from "./calls_cmd.js";
import { registerOracleCommands } from "./oracle_cmd.js";
import { registerFuzzCommand } from "./fuzz_cmd.js";
import { registerCheckCommands } from "./check_cmd.js";
import { registerImportCommands } from "./import_cmd.js";
import { registerManCommand } from "./man_cmd.js";

const VERSION = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version as string;

/** Every error of the command line starts with this; an error in a script starts with FILE:LINE:COL. */
export const PREFIX = "daxlease: ";

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

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  let code = 0;
  const done = (c: number) => { code = c; };
  program.name("daxlease").description("An executable model of Linux file leases and long-term page pins").version(VERSION)
    .exitOverride().configureOutput({
      writeErr: (s) => process.stderr.write(s),
      // commander says `error: ...`; one prefix for every error of ours.
      outputError: (s, write) => write(s.replace(/^error: /, PREFIX)),
    })
    .addHelpText("after", `
Exit status: 0 as the scripts say, 1 a finding (a step or property not as written, or
model and kernel differ), 2 a script or option is wrong, 3 nothing was compared or run
(every scenario skipped), 70 a bug in the model. docs/commands.md says more.`);
  registerRunCommand(program, done);
  program.command("policies").description("list the policies and their rules").action(() => { code = cmdPolicies(); });
  registerMatrixCommand(program, done);
  registerCallsCommand(program, done);
  registerOracleCommands(program, done);
  registerFuzzCommand(program, done);
  registerCheckCommands(program, done);
  registerImportCommands(program, done);
  registerManCommand(program, done);
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    return reportError(e);
  }
  return code;
}

export function reportError(e: unknown): number {
  if (e instanceof ScriptError) {
    process.stderr.write(e.message + "\n");
    return 2;
  }
  if (e instanceof UsageError) {
    process.stderr.write(PREFIX + e.message + "\n");
    return 2;
  }
  if (e instanceof ModelBug) {
    process.stderr.write(`${PREFIX}BUG in the model: ${e.message}\n`);
    return 70;
  }
  throw e;
}
