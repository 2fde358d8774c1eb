// no-innocent-hang and fs.lease-break-time=0 (issue 14, 1.8): a bystander's wait that the
// sysctl leaves without a timeout is a hang, and `run` (one path) and `check` (the graph)
// judge it alike, each naming the sysctl; with a break time the same wait ends by itself.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { checkScenario } from "../src/explore/check.js";
import { policyVariants } from "../src/policy/registry.js";

const FILE = new URL("../../scenarios/proposals/lease-break-time-zero-bystander.scn", import.meta.url).pathname;
const TEXT = readFileSync(FILE, "utf8");

function judge(text: string, policy: string) {
  const sc = parseScenario(text.replace(/^@expect.*$/gm, ""), FILE);
  const run = (runOnModel(sc, policy).report.violations ?? []).find((v) => v.property === "no-innocent-hang");
  const r = checkScenario(sc, policy);
  const check = r.counterexamples.find((c) => c.property === "no-innocent-hang");
  return { run: run?.detail ?? null, check: check?.detail ?? null, verdict: r.verdicts["no-innocent-hang"] };
}

test("fs.lease-break-time=0: run and check both find the bystander's hang under every policy, and name the sysctl", () => {
  for (const policy of policyVariants()) {
    const j = judge(TEXT, policy);
    assert.equal(j.verdict, "fails", policy);
    assert.match(j.run ?? "", /B waits in open with no timeout .*\(fs\.lease-break-time=0 gives this wait no timeout\)/, policy);
    assert.match(j.check ?? "", /B waits in open .*\(fs\.lease-break-time=0 gives this wait no timeout\)/, policy);
  }
});

test("with a break time the same wait ends by itself: run and check both say no-innocent-hang holds", () => {
  const timed = TEXT.replace("@sysctl fs.lease-break-time=0", "@sysctl fs.lease-break-time=1").replace("A: fcntl(3, F_GETLEASE) = F_UNLCK\n", "B: <... open resumed> = 4\n");
  for (const policy of ["linux", "sticky,close=sigkill", "exclusive"]) {
    const j = judge(timed, policy);
    assert.equal(j.run, null, policy);
    assert.equal(j.verdict, "holds", policy);
  }
});
