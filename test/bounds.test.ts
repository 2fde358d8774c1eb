// Every model loop is bounded: a state that would make one spin throws ModelBug (a bug of
// the model) instead of hanging the run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../src/scenario/parse.js";
import { compile } from "../src/machine/program.js";
import { Machine, newStepOut } from "../src/machine/machine.js";
import { policyNamed } from "../src/policy/registry.js";
import { ModelBug } from "../src/kernel/include/assert.js";
import { PState } from "../src/kernel/include/state.js";

test("a sleeper whose timer keeps firing at the same instant makes advance throw ModelBug, not spin", () => {
  const sc = parseScenario(`@scenario s\n@sysctl fs.lease-break-time=1\n@fs /mnt/t type=ext4\n@file /mnt/t/f size=10 uid=1000\n@proc H uid=1000\n@proc B uid=1000\n
H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY) ...\n`, "s.scn");
  const m = new Machine(compile(sc), policyNamed("linux"), { handlers: false });
  const st = m.boot();
  for (const i of [0, 0, 1]) m.step(st, { k: "call", i });
  const b = m.proc(st, 1)!;
  assert.equal(b.state, PState.Blocked);
  // Time moves on: the breaker sleeps until a jiffy past the break time, then goes on.
  const fine = m.clone(st);
  m.advance(fine, 5000, newStepOut());
  assert.equal(m.proc(fine, 1)!.state, PState.Running);
  // A state no rule makes: a wait that its own timer never ends (a poll re-armed at the same time).
  b.wait!.kind = "poll";
  b.wait!.wake = st.k.now;
  assert.throws(() => m.advance(st, st.k.now + 5000, newStepOut()), (e: unknown) => e instanceof ModelBug && /advance: timers firing at 0 ms after 10000 rounds/.test(e.message));
});
