// `daxlease fuzz`: random scripts on the model and on this machine's kernel; the first
// disagreement is shrunk to a shortest script and printed (and written with --out).
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { pc } from "./colors.js";
import { parseScenario } from "../scenario/parse.js";
import { oracleAvailable } from "../oracle/index.js";
import { diffScenario } from "./oracle_cmd.js";
import { fuzz } from "../fuzz/fuzz.js";
import { GENERATORS } from "../fuzz/gen.js";
import { UsageError } from "./files.js";
import { ModelBug } from "../kernel/include/assert.js";

interface Opts { kind: string; runs: string; seed: string; maxLines: string; out?: string }

function count(v: string, what: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${what} must be an integer >= ${min}, not ${v}`);
  return n;
}

/** Model against kernel, as `daxlease diff` does it, on a script given as text. */
export async function kernelJudge(text: string): Promise<string[] | null> {
  try {
    const r = await diffScenario(parseScenario(text, "fuzz.scn"), 1);
    return r.skipped !== undefined ? null : r.lines;
  } catch (e) {
    // A bug of the model is a finding too: the script that shows it is shrunk like any other.
    if (e instanceof ModelBug) return [`the model broke an invariant: ${e.message}`];
    throw e;
  }
}

async function cmdFuzz(o: Opts): Promise<number> {
  if (!Object.hasOwn(GENERATORS, o.kind)) throw new UsageError(`unknown generator ${o.kind} (${Object.keys(GENERATORS).join(", ")})`);
  const runs = count(o.runs, "--runs", 1), seed = count(o.seed, "--seed", 0), maxLines = count(o.maxLines, "--max-lines", 1);
  if (seed > 0xffffffff) throw new UsageError(`--seed must be below 2^32 (fast-check's seeds are 32 bits), not ${o.seed}`);
  const avail = oracleAvailable();
  if (!avail.ok) {
    process.stdout.write(`skipped: ${avail.why}\n`);
    return 3;
  }
  const t0 = Date.now();
  const r = await fuzz({ kind: o.kind, runs, seed, maxLines, judge: kernelJudge });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const head = `${o.kind}, seed ${seed}: ${r.runs} scripts, ${r.skipped} skipped`;
  if (r.found === null) {
    process.stdout.write(`${pc.green("same")}  ${head}; model and kernel agree on every step (${secs} s)\n`);
    return 0;
  }
  process.stdout.write(`${pc.red("differs")}  ${head}; shortest disagreeing script (${r.found.shrinks} shrink steps, ${secs} s):\n\n`);
  process.stdout.write(r.found.script + "\n" + r.found.diff.map((l) => `    ${l}`).join("\n") + "\n");
  if (o.out !== undefined) writeFileSync(o.out, r.found.script);
  return 1;
}

export function registerFuzzCommand(program: Command, done: (code: number) => void) {
  program.command("fuzz").description("random scripts on the model and the kernel; shrink the first disagreement")
    .option("--kind <name>", `what to generate: ${Object.keys(GENERATORS).join(" or ")}`, "leases")
    .option("--runs <n>", "scripts to try", "50")
    .option("--seed <n>", "the generator's seed (the same seed gives the same scripts)", "1")
    .option("--max-lines <n>", "steps per script, at most", "14")
    .option("--out <file>", "write the shortest disagreeing script there")
    .action(async (opts: Opts) => { done(await cmdFuzz(opts)); });
}
