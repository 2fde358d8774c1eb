// Differential fuzzing: the search and the shrinking with judges we control, then a short
// run of both generators against the real kernel (Linux as root only).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzz } from "../src/fuzz/fuzz.js";
import { GENERATORS } from "../src/fuzz/gen.js";
import { kernelJudge } from "../src/cli/fuzz_cmd.js";
import { kernelTest } from "./kernel.js";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";

const steps = (script: string) => script.split("\n").filter((l) => /^[A-Z0-9]+: /.test(l) && !l.includes("<..."));

test("a disagreement is shrunk to a shortest script that still disagrees", async () => {
  const judge = async (text: string) => (text.includes("truncate(") ? ["a truncate"] : []);
  const r = await fuzz({ kind: "leases", runs: 200, seed: 5, maxLines: 20, judge });
  assert.ok(r.found !== null);
  assert.deepEqual(r.found.diff, ["a truncate"]);
  const left = steps(r.found.script);
  assert.equal(left.length, 1, r.found.script);
  assert.match(left[0]!, /truncate\(/);
});

test("every script either generator makes parses and runs on the model", async () => {
  for (const kind of Object.keys(GENERATORS)) {
    const r = await fuzz({ kind, runs: 150, seed: 9, maxLines: 20, judge: async (text) => { runOnModel(parseScenario(text, "g.scn")); return []; } });
    assert.equal(r.found, null);
    assert.equal(r.runs, 150);
  }
});

test("skipped scripts are counted, and a judge that throws stops the search", async () => {
  const r = await fuzz({ kind: "io", runs: 7, seed: 1, maxLines: 5, judge: async () => null });
  assert.deepEqual({ runs: r.runs, skipped: r.skipped, found: r.found }, { runs: 7, skipped: 7, found: null });
  await assert.rejects(fuzz({ kind: "io", runs: 7, seed: 1, maxLines: 5, judge: async () => { throw new Error("judge broke"); } }), /judge broke/);
  await assert.rejects(fuzz({ kind: "nope", runs: 1, seed: 1, maxLines: 1, judge: async () => [] }), /unknown generator nope/);
});

/** Model against kernel on `runs` scripts of a generator: no difference, and something was compared. */
async function againstKernel(kind: string, runs: number): Promise<void> {
  const skips = new Map<string, number>();
  const r = await fuzz({ kind, runs, seed: 2026, maxLines: 14, judge: (text) => kernelJudge(text, skips) });
  assert.equal(r.found, null, r.found === null ? "" : `${r.found.script}\n${r.found.diff.join("\n")}`);
  assert.ok(r.skipped < r.runs, `the kernel skipped every script: ${[...skips.keys()].join("; ")}`);
}

kernelTest("model and kernel agree on random lease scripts (fixed seed)", () => againstKernel("leases", 12));
kernelTest("model and kernel agree on random io_uring scripts (fixed seed)", () => againstKernel("io", 40), { xfs: true });
