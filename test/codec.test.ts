// The explorer keeps states as bytes (src/machine/codec.ts): every state the corpus passes
// through comes back equal, with the same identity.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { scenarioFiles } from "../src/cli/files.js";
import { parseScenario } from "../src/scenario/parse.js";
import { Machine, type MState } from "../src/machine/machine.js";
import { compile } from "../src/machine/program.js";
import { policyNamed } from "../src/policy/registry.js";
import { encodeMState, decodeMState } from "../src/machine/codec.js";
import { encodeState, cloneState } from "../src/kernel/snapshot.js";

const ROOT = new URL("../../scenarios/", import.meta.url).pathname;

test("every state of every corpus run survives the codec: equal encodings, equal machine parts", () => {
  let n = 0;
  for (const f of scenarioFiles([ROOT])) {
    const sc = parseScenario(readFileSync(f, "utf8"), f);
    const m = new Machine(compile(sc), policyNamed(sc.policy), { handlers: true });
    let st: MState = m.boot();
    for (let k = 0; k < 40; k++) {
      const back = decodeMState(encodeMState(st), m.pol);
      assert.equal(encodeState(back.k), encodeState(st.k), `${f}, step ${k}`);
      const mine = [...m.extra(back)];
      assert.deepEqual(mine, [...m.extra(st)], `${f}, step ${k}`);
      assert.deepEqual(cloneState(back.k), cloneState(st.k));
      n++;
      const moves = m.moves(st);
      if (moves.length === 0) break;
      st = m.clone(st);
      m.step(st, moves[k % moves.length]!);
    }
  }
  assert.ok(n > 1000, `only ${n} states`);
});
