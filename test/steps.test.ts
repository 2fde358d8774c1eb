// runSteps: the run `daxlease run` makes, with the state after every step (the playground's view).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { runSteps } from "../src/run/steps.js";
import { encodeState } from "../src/kernel/snapshot.js";
import { PState } from "../src/kernel/include/state.js";

const file = "scenarios/proposals/pinned-truncate-fails-after-break.scn";
const sc = parseScenario(readFileSync(file, "utf8"), file);

function stepAt(r: ReturnType<typeof runSteps>, line: number) {
  const s = r.steps.find((x) => x.step.line === line);
  assert.ok(s, `a step at line ${line}`);
  return s;
}

test("one entry per step, the same report and final state as runOnModel", () => {
  const r = runSteps(sc, "rfc-v1");
  const plain = runOnModel(sc, "rfc-v1");
  assert.equal(r.steps.length, sc.steps.length);
  assert.deepEqual(r.report, plain.report);
  assert.equal(encodeState(r.steps.at(-1)!.state), encodeState(plain.state));
  assert.deepEqual(r.procs, ["A", "B"]);
  assert.equal(r.initial.pinsets.length, 0);
});

test("each step keeps its own state: pins appear at ibv_reg_mr, the truncate sleeps, then is refused", () => {
  const r = runSteps(sc, "rfc-v1");
  const before = stepAt(r, 26), reg = stepAt(r, 27);
  const pinned = (k: typeof reg.state) => k.mounts[0]!.pins.filter((n) => n > 0).length;
  assert.equal(pinned(before.state), 0);
  assert.equal(pinned(reg.state), 4);
  const trunc = stepAt(r, 28);
  assert.equal(trunc.result.actual, "...");
  assert.equal(trunc.state.procs.find((p) => p.name === "B")!.state, PState.Blocked);
  assert.deepEqual(trunc.signals.map((s) => [s.proc, s.sig.signo]), [["A", 29]]);
  const resumed = stepAt(r, 32);
  assert.equal(resumed.result.actual, "-1 ETXTBSY");
  assert.equal(resumed.state.procs.find((p) => p.name === "B")!.state, PState.Running);
  // The file keeps its pinned blocks.
  assert.equal(resumed.state.inodes.find((i) => i?.path === "/mnt/pmem/a")!.size, 16384);
});

test("violations are attached to the step where they first fail", () => {
  const f = "scenarios/proposals/close-with-pins-sigkill.scn";
  const r = runSteps(parseScenario(readFileSync(f, "utf8"), f), "rfc-v1");
  const at = r.steps.filter((s) => s.violations.length > 0).map((s) => [s.step.line, s.violations.map((v) => v.property)]);
  assert.deepEqual(at, [[27, ["pinner-visible"]], [29, ["recoverable"]]]);
});

test("a call a killed process never made resumes as `?`, not as its last call's result (found by the io generator)", () => {
  const text = `@scenario dead\n@fs /mnt/e type=ext4 size=1M\n@file /mnt/e/a size=8192 uid=1000\n@proc P uid=1000\n@proc R uid=0\n
P: io_uring_setup(4) = 3\nR: kill(P, SIGKILL)\nP: truncate("/mnt/e/a", 0) ...\nP: <... truncate resumed> = ?\n`;
  const r = runOnModel(parseScenario(text, "dead.scn"));
  assert.deepEqual(r.report.steps.map((s) => s.actual), ["3", "0", "?", "?"]);
});
