// Differential fuzzing: the search and the shrinking with judges we control, what the
// generators reach, then a run of both generators against the real kernel (Linux as root only).
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { fuzz } from "../src/fuzz/fuzz.js";
import { GENERATORS, PINS, type Generator } from "../src/fuzz/gen.js";
import { Reach, reachOf, REACH, type ReachKey } from "../src/fuzz/reach.js";
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
    assert.equal(r.reached.scripts, 150);
  }
});

test("skipped scripts are counted, and a judge that throws stops the search", async () => {
  const r = await fuzz({ kind: "io", runs: 7, seed: 1, maxLines: 5, judge: async () => null });
  assert.deepEqual({ runs: r.runs, skipped: r.skipped, found: r.found }, { runs: 7, skipped: 7, found: null });
  await assert.rejects(fuzz({ kind: "io", runs: 7, seed: 1, maxLines: 5, judge: async () => { throw new Error("judge broke"); } }), /judge broke/);
  await assert.rejects(fuzz({ kind: "nope", runs: 1, seed: 1, maxLines: 1, judge: async () => [] }), /unknown generator nope/);
});

/** At least half the scripts set a lease, a fifth break one, a tenth block, a twentieth time one out. */
const LEASE_MINIMUMS: Partial<Record<ReachKey, number>> = { leases: 50, breaks: 20, blocked: 10, timeouts: 5 };
const MINIMUMS: Record<string, Partial<Record<ReachKey, number>>> = {
  leases: LEASE_MINIMUMS,
  io: { ...LEASE_MINIMUMS, pins: 50 },
};

function reachOver(g: Generator, n: number, seed: number, maxLines: number, policy = "linux"): Reach {
  const r = new Reach();
  for (const lines of fc.sample(g.lines(maxLines), { numRuns: n, seed })) r.add(reachOf(g.script(lines), policy));
  return r;
}

function assertMinimums(r: Reach, min: Partial<Record<ReachKey, number>>, what: string) {
  for (const key of REACH) assert.ok(r.percent(key) >= (min[key] ?? 0), `${what}: ${r.line()} (${key} below ${min[key]}%)`);
}

for (const [kind, min] of Object.entries(MINIMUMS)) {
  test(`the ${kind} generator reaches ${Object.entries(min).map(([key, n]) => `${key} >= ${n}%`).join(", ")} of its scripts`, () => {
    for (const seed of [1, 20260611]) assertMinimums(reachOver(GENERATORS[kind]!, 600, seed, 14), min, `${kind}, seed ${seed}`);
  });
}

test("the pins generator reaches leases, breaks, blocked calls, timeouts and pins under the proposals", () => {
  // Policies without F_LAYOUT|F_EXCLUSIVE or with sticky leases reach fewer breaks.
  assertMinimums(reachOver(PINS, 600, 3, 25, "rfc-v1"), { leases: 50, breaks: 20, blocked: 10, timeouts: 5, pins: 50 }, "rfc-v1");
  assertMinimums(reachOver(PINS, 600, 3, 25, "sticky"), { leases: 50, breaks: 5, blocked: 10, timeouts: 2, pins: 50 }, "sticky");
  assertMinimums(reachOver(PINS, 600, 3, 25, "exclusive"), { leases: 50, breaks: 20, blocked: 10, timeouts: 5, pins: 50 }, "exclusive");
});

test("reach counts a script once per kind, whatever it reached how often", () => {
  const text = `@scenario r\n@sysctl fs.lease-break-time=1\n@fs /mnt/t type=ext4\n@file /mnt/t/f size=10 uid=1000\n@proc H uid=1000\n@proc B uid=1000\n
H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY) ...\nB: <... open resumed>\n`;
  assert.deepEqual([...reachOf(text)].sort(), ["blocked", "breaks", "leases", "timeouts"]);
  const r = new Reach();
  r.add(reachOf(text));
  r.add(new Set());
  assert.equal(r.line(), "reached: leases 50%, breaks 50%, blocked 50%, timeouts 50%, pins 0%");
});

// CI runs `npm test` alone on 2 cores: these runs take about 3 minutes there.
/** Model against kernel on `runs` scripts of a generator: no difference, none skipped, and they reach what the model does. */
async function againstKernel(kind: string, runs: number): Promise<void> {
  const skips = new Map<string, number>();
  const r = await fuzz({ kind, runs, seed: 2026, maxLines: 14, judge: (text) => kernelJudge(text, skips) });
  assert.equal(r.found, null, r.found === null ? "" : `${r.found.script}\n${r.found.diff.join("\n")}`);
  assert.equal(r.skipped, 0, `the kernel skipped: ${[...skips.keys()].join("; ")}`);
  assertMinimums(r.reached, MINIMUMS[kind]!, `${kind} on the kernel`);
}

kernelTest("model and kernel agree on random lease scripts (fixed seed), which reach leases, breaks, blocks and timeouts", () => againstKernel("leases", 60));
kernelTest("model and kernel agree on random io_uring scripts (fixed seed), which reach leases, breaks, blocks, timeouts and pins", () => againstKernel("io", 100), { xfs: true });
