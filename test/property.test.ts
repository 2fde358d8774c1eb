// Random syscall sequences over several processes: nothing throws, the invariants
// (reference counts, open counts, block ownership: src/kernel/check.ts) hold after every
// step, and a replay gives the same output byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { encodeState, hashState, cloneState } from "../src/kernel/snapshot.js";
import { GENERATORS } from "../src/fuzz/gen.js";

const { lines: line, script } = GENERATORS.leases!;

const RUNS = Number(process.env.DAXLEASE_PROPERTY_RUNS ?? 10000);

test(`${RUNS} random multi-process syscall sequences: no exception, invariants hold, replay is identical`, () => {
  fc.assert(
    fc.property(line(30), (lines) => {
      const text = script(lines);
      const sc = parseScenario(text, "random.scn");
      const a = runOnModel(sc); // checkInvariants runs after every step and throws on a broken one
      const b = runOnModel(parseScenario(text, "random.scn"));
      assert.equal(JSON.stringify(b.report), JSON.stringify(a.report));
      assert.equal(encodeState(b.state), encodeState(a.state));
      assert.equal(hashState(b.state), hashState(a.state));
      const c = cloneState(a.state);
      assert.equal(encodeState(c), encodeState(a.state));
      assert.equal(hashState(c), hashState(a.state));
    }),
    { numRuns: RUNS, seed: 20260611 },
  );
});
