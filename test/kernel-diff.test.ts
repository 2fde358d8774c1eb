// `daxlease diff scenarios/linux`: the model must agree with this machine's kernel on
// every step of every scenario, and three kernel runs must agree with each other.
// Without root, cc or xfsprogs the tests say what to install and skip (outside CI).
import assert from "node:assert/strict";
import { scenarioFiles } from "../src/cli/files.js";
import { loadScenarios } from "../src/cli/load.js";
import { diffScenario } from "../src/cli/oracle_cmd.js";
import type { Scenario } from "../src/scenario/ast.js";
import { kernelTest } from "./kernel.js";

const DIR = new URL("../../scenarios/linux", import.meta.url).pathname;
const all = loadScenarios(scenarioFiles([DIR]));
const xfs = (sc: Scenario) => sc.mounts.some((m) => m.type === "xfs");

async function agree(scs: Scenario[]): Promise<{ problems: string[]; ran: number }> {
  const problems: string[] = [];
  let ran = 0;
  for (const sc of scs) {
    const r = await diffScenario(sc, 3);
    if (r.skipped !== undefined) { problems.push(`${sc.file}: skipped on the kernel: ${r.skipped}`); continue; }
    ran++;
    for (const l of r.lines) problems.push(`${sc.file}: ${l}`);
  }
  return { problems, ran };
}

kernelTest("the model and the kernel agree on scenarios/linux, but xfs (kernel run 3 times)", async () => {
  const { problems, ran } = await agree(all.filter((sc) => !xfs(sc)));
  assert.deepEqual(problems, []);
  assert.ok(ran >= 60, `only ${ran} scenarios ran on the kernel`);
});

kernelTest("the model and the kernel agree on the xfs scenarios of scenarios/linux (kernel run 3 times)", async () => {
  const scs = all.filter(xfs);
  const { problems, ran } = await agree(scs);
  assert.deepEqual(problems, []);
  assert.equal(ran, scs.length);
  assert.ok(ran >= 3, `only ${ran} xfs scenarios`);
}, { xfs: true });
