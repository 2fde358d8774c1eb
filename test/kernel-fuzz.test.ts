// `daxlease fuzz` in the test suite: both generators against this machine's kernel with
// fixed seeds (Linux as root only). The scripts must agree on every step, none may be
// skipped, and they must reach what the generators promise (test/fuzz.test.ts) on the kernel too.
import assert from "node:assert/strict";
import { fuzz } from "../src/fuzz/fuzz.js";
import { kernelJudge } from "../src/cli/fuzz_cmd.js";
import { kernelTest } from "./kernel.js";
import { MINIMUMS, assertMinimums } from "./helpers.js";

// CI runs `npm test` alone on 2 cores: these runs take about 2 minutes there.
async function againstKernel(kind: string, runs: number): Promise<void> {
  const skips = new Map<string, number>();
  const r = await fuzz({ kind, runs, seed: 2026, maxLines: 14, judge: (text) => kernelJudge(text, skips) });
  assert.equal(r.found, null, r.found === null ? "" : `${r.found.script}\n${r.found.diff.join("\n")}`);
  assert.equal(r.skipped, 0, `the kernel skipped: ${[...skips.keys()].join("; ")}`);
  assertMinimums(r.reached, MINIMUMS[kind]!, `${kind} on the kernel`);
}

kernelTest("model and kernel agree on random lease scripts (fixed seed), which reach leases, breaks, blocks and timeouts", () => againstKernel("leases", 40));
kernelTest("model and kernel agree on random io_uring scripts (fixed seed), which reach leases, breaks, blocks, timeouts and pins", () => againstKernel("io", 60), { xfs: true });
