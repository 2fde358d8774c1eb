// Differential fuzzing: the search and the shrinking with judges we control, and what the
// generators reach (the runs on the kernel are in kernel-fuzz.test.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fuzz } from "../src/fuzz/fuzz.js";
import { GENERATORS, PINS } from "../src/fuzz/gen.js";
import { Reach, reachOf } from "../src/fuzz/reach.js";
import { MINIMUMS, reachOver, assertMinimums } from "./helpers.js";
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

// Mutation testing runs the property tests with fewer scripts (DAXLEASE_PROPERTY_RUNS); these follow.
const SAMPLE = Math.min(600, Number(process.env.DAXLEASE_PROPERTY_RUNS ?? 600));

for (const [kind, min] of Object.entries(MINIMUMS)) {
  test(`the ${kind} generator reaches ${Object.entries(min).map(([key, n]) => `${key} >= ${n}%`).join(", ")} of its scripts`, () => {
    for (const seed of [1, 20260611]) assertMinimums(reachOver(GENERATORS[kind]!, SAMPLE, seed, 14), min, `${kind}, seed ${seed}`);
  });
}

test("the pins generator reaches leases, breaks, blocked calls, timeouts and pins under the proposals", () => {
  // Policies without F_LAYOUT|F_EXCLUSIVE or with sticky leases reach fewer breaks.
  assertMinimums(reachOver(PINS, SAMPLE, 3, 25, "rfc-v1"), { leases: 50, breaks: 20, blocked: 10, timeouts: 5, pins: 50 }, "rfc-v1");
  assertMinimums(reachOver(PINS, SAMPLE, 3, 25, "sticky"), { leases: 50, breaks: 5, blocked: 10, timeouts: 2, pins: 50 }, "sticky");
  assertMinimums(reachOver(PINS, SAMPLE, 3, 25, "exclusive"), { leases: 50, breaks: 20, blocked: 10, timeouts: 5, pins: 50 }, "exclusive");
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
