// State as plain data: copies are independent, encodings canonical, hashes stable.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { cloneState, encodeState, hashState } from "../src/kernel/snapshot.js";
import { syscall } from "../src/kernel/entry.js";
import { procFds } from "../src/kernel/fs/file.js";
import { O_RDONLY } from "../src/kernel/include/uapi.js";
import { loadScenario } from "../src/cli/load.js";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const sc = parseScenario(`@scenario s
@fs /mnt/t type=ext4
@file /mnt/t/f size=100 uid=1000
@file /mnt/t/g size=100 uid=1000
@proc A uid=1000
@proc B uid=1000
A: open("/mnt/t/f", O_RDONLY) = 3
A: fcntl(3, F_SETLEASE, F_WRLCK) = 0
B: open("/mnt/t/f", O_RDONLY) ...
`, "s.scn");

test("a copy is equal, and independent of the original", () => {
  const { state } = runOnModel(sc);
  const copy = cloneState(state);
  assert.equal(encodeState(copy), encodeState(state));
  assert.equal(hashState(copy), hashState(state));
  syscall(copy, copy.procs[0]!, "open", ["/mnt/t/g", O_RDONLY, 0]);
  assert.notEqual(hashState(copy), hashState(state));
  assert.notEqual(encodeState(copy), encodeState(state));
  assert.equal(procFds(state, state.procs[0]!).length, 4);
});

test("the encoding does not depend on the order names were made", () => {
  const a = runOnModel(parseScenario(`@scenario s\n@fs /mnt/t type=ext4\n@file /mnt/t/x\n@file /mnt/t/y\n@proc R\nR: rename("/mnt/t/x", "/mnt/t/z") = 0\nR: rename("/mnt/t/z", "/mnt/t/x") = 0\n`, "a.scn")).state;
  const b = runOnModel(parseScenario(`@scenario s\n@fs /mnt/t type=ext4\n@file /mnt/t/x\n@file /mnt/t/y\n@proc R\nR: rename("/mnt/t/y", "/mnt/t/y") = 0\n`, "b.scn")).state;
  assert.notDeepEqual(Object.keys(a.dents), Object.keys(b.dents));
  assert.equal(encodeState(a), encodeState(b));
  assert.equal(hashState(a), hashState(b));
});

test("the state survives a JSON round trip: it is plain data", () => {
  const { state } = runOnModel(sc);
  const back = JSON.parse(JSON.stringify(state));
  assert.equal(encodeState(back), encodeState(state));
  assert.equal(hashState(back), hashState(state));
});

test("hash and encoding agree on every state the corpus passes through", () => {
  // Each prefix of each scenario, under its own policy: equal encodings must give equal
  // hashes, and distinct ones distinct hashes (64 bits: a collision here is a broken digest).
  const dir = new URL("../../scenarios/", import.meta.url).pathname;
  const files = ["linux", "proposals"].flatMap((d) => readdirSync(join(dir, d)).filter((f) => f.endsWith(".scn")).map((f) => join(dir, d, f)));
  const byEnc = new Map<string, string>();
  const byHash = new Map<string, string>();
  for (const f of files) {
    const full = loadScenario(f);
    for (let k = 0; k <= full.steps.length; k++) {
      const { state } = runOnModel({ ...full, steps: full.steps.slice(0, k), expects: [] }, full.policy ?? "linux");
      const e = encodeState(state), h = hashState(state);
      assert.equal(byEnc.get(e) ?? h, h, `${f} after ${k} steps: same state, another hash`);
      assert.equal(byHash.get(h) ?? e, e, `${f} after ${k} steps: hash collision`);
      byEnc.set(e, h);
      byHash.set(h, e);
    }
  }
  assert.ok(byEnc.size > 900, `only ${byEnc.size} distinct states`);
});

test("the hash sees both halves of values past 2^32, and small changes anywhere", () => {
  const { state } = runOnModel(sc);
  const seen = new Set([hashState(state)]);
  const f = state.files.find((x) => x !== null && x.ino >= 0)!;
  for (const pos of [2 ** 40, 2 ** 40 + 2 ** 32, 2 ** 40 + 1, 2 ** 52 - 1, 1, -1]) {
    f.pos = pos;
    seen.add(hashState(state));
  }
  state.procs[1]!.uid = 1001;
  seen.add(hashState(state));
  state.now += 1;
  seen.add(hashState(state));
  assert.equal(seen.size, 9);
});

test("-0 hashes as 0, as the encoding writes it", () => {
  const { state } = runOnModel(sc);
  const a = hashState(state);
  state.now = -0;
  const b = hashState(state);
  state.now = 0;
  assert.equal(hashState(state), a);
  assert.equal(b, hashState({ ...state, now: 0 }));
  assert.equal(encodeState({ ...state, now: -0 }), encodeState({ ...state, now: 0 }));
});
