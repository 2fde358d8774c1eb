// `daxlease fuzz`: random scripts on the model and on this machine's kernel; the first
// disagreement is shrunk to a shortest script and printed (and written with --out).
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { pc } from "./colors.js";
import { parseScenario } from "../scenario/parse.js";
import { oracleAvailable } from "../oracle/index.js";
import { diffScenario, ROOT_NOTE } from "./oracle_cmd.js";
import { fuzz, type FuzzResult } from "../fuzz/fuzz.js";
import { GENERATORS } from "../fuzz/gen.js";
import { UsageError } from "./files.js";
import { ModelBug } from "../kernel/include/assert.js";
import { Progress } from "./progress.js";
import { countOption } from "./batch.js";

interface Opts { kind: string; runs: string; seed: string; maxLines: string; out?: string }

/** Model against kernel, as `daxlease diff` does it, on a script given as text; `skips` counts why the kernel skipped. */
export async function kernelJudge(text: string, skips?: Map<string, number>): Promise<string[] | null> {
  try {
    const r = await diffScenario(parseScenario(text, "fuzz.scn"), 1);
    if (r.skipped !== undefined) {
      // "line 7: ..." names a line of one script; the reasons are counted without it.
      const why = r.skipped.replace(/^line \d+: /, "");
      skips?.set(why, (skips.get(why) ?? 0) + 1);
      return null;
    }
    return r.lines;
  } catch (e) {
    // A bug of the model is a finding too: the script that shows it is shrunk like any other.
    if (e instanceof ModelBug) return [`the model broke an invariant: ${e.message}`];
    throw e;
  }
}

async function cmdFuzz(o: Opts): Promise<number> {
  if (!Object.hasOwn(GENERATORS, o.kind)) throw new UsageError(`unknown generator ${o.kind} (${Object.keys(GENERATORS).join(", ")})`);
  const runs = countOption(o.runs, "--runs", 1), seed = countOption(o.seed, "--seed", 0), maxLines = countOption(o.maxLines, "--max-lines", 1);
  if (seed > 0xffffffff) throw new UsageError(`--seed must be below 2^32 (fast-check's seeds are 32 bits), not ${o.seed}`);
  const avail = oracleAvailable();
  if (!avail.ok) {
    process.stdout.write(`nothing compared: ${avail.why}\n`);
    return 3;
  }
  const t0 = Date.now();
  const skips = new Map<string, number>();
  const progress = new Progress(runs, `${o.kind} scripts`);
  let judged = 0;
  let r;
  try {
    r = await fuzz({
      kind: o.kind, runs, seed, maxLines,
      judge: async (text) => {
        // Past `runs`, fast-check is shrinking a disagreement.
        if (++judged > runs) progress.now(`shrinking a disagreement: ${judged - runs} scripts tried`);
        const d = await kernelJudge(text, skips);
        if (judged <= runs) progress.tick();
        return d;
      },
    });
  } finally {
    progress.stop();
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const v = fuzzVerdict(`${o.kind}, seed ${seed}`, r, skips, secs);
  process.stdout.write(v.text);
  if (r.found !== null && o.out !== undefined) writeFileSync(o.out, r.found.script);
  return v.code;
}

/**
 * What a fuzz run says, and its exit status: a run that compared nothing says so (3), never "agree".
 * It ends with what the scripts reached (on the model): agreement on scripts that reach nothing says little.
 */
export function fuzzVerdict(what: string, r: FuzzResult, skips: Map<string, number>, secs: string): { code: number; text: string } {
  const v = verdict(what, r, skips, secs);
  return { code: v.code, text: v.text + r.reached.line() + "\n" };
}

function verdict(what: string, r: FuzzResult, skips: Map<string, number>, secs: string): { code: number; text: string } {
  const head = `${what}: ${r.runs} scripts, ${r.skipped} skipped`;
  const why = [...skips].map(([w, n]) => `  skipped ${n}: ${w}\n`).join("");
  if (r.found === null) {
    if (r.skipped === r.runs) return { code: 3, text: `${pc.yellow("nothing compared")}  ${head}: the kernel ran none of them (${secs} s)\n${why}` };
    return { code: 0, text: `${pc.green("same")}  ${head}; model and kernel agree on every step of the ${r.runs - r.skipped} compared (${secs} s)\n${why}` };
  }
  return {
    code: 1,
    text: `${pc.red("differs")}  ${head}; shortest disagreeing script (${r.found.shrinks} shrink steps, ${secs} s):\n\n` +
      r.found.script + "\n" + r.found.diff.map((l) => `    ${l}`).join("\n") + "\n",
  };
}

export function registerFuzzCommand(program: Command, done: (code: number) => void) {
  program.command("fuzz").description("random scripts on the model and the kernel; shrink the first disagreement")
    .option("--kind <name>", `what to generate: ${Object.keys(GENERATORS).join(" or ")}`, "leases")
    .option("--runs <n>", "scripts to try", "50")
    .option("--seed <n>", "the generator's seed (the same seed gives the same scripts)", "1")
    .option("--max-lines <n>", "steps per script, at most", "14")
    .option("--out <file>", "write the shortest disagreeing script there")
    .addHelpText("after", `
${ROOT_NOTE}
Exit status: 0 model and kernel agree on every script compared, 1 they differ (the
shortest script is printed), 2 a bad option, 3 nothing compared (no oracle here, or
the kernel skipped every script, e.g. io without mkfs.xfs).`)
    .action(async (opts: Opts) => { done(await cmdFuzz(opts)); });
}
