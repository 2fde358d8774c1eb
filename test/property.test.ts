// Random multi-process scripts of the leases and io generators on the model (today's
// Linux): nothing throws, the invariants and the pin accounting (src/kernel/check.ts) hold
// after every step, the properties Linux keeps hold, and a replay gives the same output
// byte for byte.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { encodeState, hashState, cloneState } from "../src/kernel/snapshot.js";
import { GENERATORS } from "../src/fuzz/gen.js";

const RUNS = Number(process.env.DAXLEASE_PROPERTY_RUNS ?? 10000);

/**
 * What today's Linux keeps on these scripts: FS-DAX cannot be long-term pinned, so no
 * block is freed under a pin, no layout change is refused or waits because of one. The
 * io generator's pins of tmpfs, private and anonymous memory may be orphaned by a truncate
 * (user-told) or outlive every view of their file (pinner-visible); the leases generator takes no pin.
 */
const MAY_FAIL: Record<string, string[]> = { leases: [], io: ["user-told", "pinner-visible"] };

for (const [kind, seed] of [["leases", 20260611], ["io", 20260612]] as const) {
  const g = GENERATORS[kind]!;
  test(`${RUNS} random ${kind} scripts: no exception, invariants hold, ${MAY_FAIL[kind]!.length ? `only ${MAY_FAIL[kind]!.join(" and ")} may fail` : "every property holds"}, replay is identical`, () => {
    fc.assert(
      fc.property(g.lines(30), (lines) => {
        const text = g.script(lines);
        const a = runOnModel(parseScenario(text, "random.scn")); // checkInvariants runs after every step and throws on a broken one
        const broken = (a.report.violations ?? []).filter((v) => !MAY_FAIL[kind]!.includes(v.property));
        assert.deepEqual(broken, [], text);
        const b = runOnModel(parseScenario(text, "random.scn"));
        assert.equal(JSON.stringify(b.report), JSON.stringify(a.report));
        assert.equal(encodeState(b.state), encodeState(a.state));
        assert.equal(hashState(b.state), hashState(a.state));
        const c = cloneState(a.state);
        assert.equal(encodeState(c), encodeState(a.state));
        assert.equal(hashState(c), hashState(a.state));
      }),
      { numRuns: RUNS, seed },
    );
  });
}
