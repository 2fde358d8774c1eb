// Regenerates scenarios/explore/verdicts.json, the golden verdict matrix of the exploration
// corpus: `daxlease verdict --json scenarios/explore`, reduced to what must not change by
// accident (per row: scenario, policy, complete, setupRefused, verdicts, shortest).
//
//   npx tsc -p . && node bench/golden.mjs          # rewrite the golden file
//   node bench/golden.mjs --check                  # compare only; exit 1 and show the rows that differ
//
// Review the diff before committing a rewritten file: a changed cell is a changed answer.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = `${root}dist/src/cli/bin.js`;
const golden = `${root}scenarios/explore/verdicts.json`;

/** The verdict rows as JSON (verdict exits 1 when a cell differs from its @expect, 4 when a search stopped). */
function verdictRows() {
  try {
    return JSON.parse(execFileSync(process.execPath, [bin, "verdict", "--json", `${root}scenarios/explore`], { encoding: "utf8", maxBuffer: 1 << 28 }));
  } catch (e) {
    if (e.stdout) {
      process.stderr.write(`daxlease verdict exited ${e.status}: some cell differs from its @expect lines or did not finish\n`);
      return JSON.parse(e.stdout);
    }
    throw e;
  }
}

export function reduce(rows) {
  return rows.map((r) => ({
    scenario: r.scenario, policy: r.policy, complete: r.complete, setupRefused: r.setupRefused, verdicts: r.verdicts, shortest: r.shortest,
  }));
}

const text = JSON.stringify(reduce(verdictRows()), null, 2) + "\n";
if (process.argv.includes("--check")) {
  const old = readFileSync(golden, "utf8");
  if (old === text) process.stdout.write(`${golden}: as checked in\n`);
  else {
    const a = JSON.parse(old), b = JSON.parse(text);
    const key = (r) => `${r.scenario} under ${r.policy}`;
    const was = new Map(a.map((r) => [key(r), JSON.stringify(r)]));
    for (const r of b) if (was.get(key(r)) !== JSON.stringify(r)) process.stdout.write(`differs: ${key(r)}\n  was ${was.get(key(r)) ?? "(none)"}\n  now ${JSON.stringify(r)}\n`);
    const now = new Set(b.map(key));
    for (const r of a) if (!now.has(key(r))) process.stdout.write(`gone: ${key(r)}\n`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(golden, text);
  process.stdout.write(`wrote ${golden}\n`);
}
