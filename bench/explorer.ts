// npm run bench, the explorer's part: states per second in one thread and with worker
// threads (--workers), on the same search; the ratio is the speed-up on this machine.
// Figures are measured in this run (no timing lives in the tests).
import { performance } from "node:perf_hooks";
import { cpus } from "node:os";
import { readFileSync } from "node:fs";
import { parseScenario } from "../src/scenario/parse.js";
import { Machine } from "../src/machine/machine.js";
import { compile } from "../src/machine/program.js";
import { policyNamed } from "../src/policy/registry.js";
import { search, searchWith } from "../src/explore/drive.js";
import { workerPool } from "../src/explore/node/pool.js";

const FILE = new URL("../../scenarios/explore-large/truncate-three-apps.scn", import.meta.url).pathname;
const POLICY = "rfc-v1";
const sc = parseScenario(readFileSync(FILE, "utf8"), FILE);
const machine = () => new Machine(compile(sc), policyNamed(POLICY), { handlers: true });

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en");
}

async function main() {
  // Warm up the JIT on a bounded search first.
  search(machine(), { maxStates: 20_000 });
  let t0 = performance.now();
  const one = search(machine(), {});
  const t1 = (performance.now() - t0) / 1000;
  process.stdout.write(`explorer: ${sc.name} under ${POLICY}: ${fmt(one.states)} states, ${fmt(one.transitions)} transitions${one.complete ? "" : " (INCOMPLETE)"}\n`);
  process.stdout.write(`  1 thread:   ${t1.toFixed(2)} s, ${fmt(one.states / t1)} states/s, ${fmt(one.transitions / t1)} transitions/s\n`);
  for (const n of [2]) {
    const pool = workerPool(n, sc, POLICY, false);
    try {
      t0 = performance.now();
      const r = await searchWith(machine(), {}, pool.expand);
      const tn = (performance.now() - t0) / 1000;
      const same = r.states === one.states && JSON.stringify(r.verdicts) === JSON.stringify(one.verdicts);
      process.stdout.write(`  ${n} workers:  ${tn.toFixed(2)} s, ${fmt(r.states / tn)} states/s: ${(t1 / tn).toFixed(2)}x one thread on ${cpus().length} cores${same ? "" : " (DIFFERENT ANSWERS: a bug)"}\n`);
    } finally { await pool.close(); }
  }
}

await main();
