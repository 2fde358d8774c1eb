// `daxlease diff scenarios/linux`: the model must agree with this machine's kernel on
// every step of every scenario, and three kernel runs must agree with each other.
import { test } from "node:test";
import assert from "node:assert/strict";
import { scenarioFiles } from "../src/cli/files.js";
import { loadScenarios } from "../src/cli/load.js";
import { diffScenario } from "../src/cli/oracle_cmd.js";
import { oracleAvailable } from "../src/oracle/index.js";

const DIR = new URL("../../scenarios/linux", import.meta.url).pathname;
const avail = oracleAvailable();

test("the model and the kernel agree on scenarios/linux (kernel run 3 times)", { skip: avail.ok ? false : `oracle unavailable: ${avail.why}` }, async () => {
  const files = scenarioFiles([DIR]);
  const problems: string[] = [];
  let ran = 0;
  for (const sc of loadScenarios(files)) {
    const r = await diffScenario(sc, 3);
    if (r.skipped !== undefined) { problems.push(`${sc.file}: skipped on the kernel: ${r.skipped}`); continue; }
    ran++;
    for (const l of r.lines) problems.push(`${sc.file}: ${l}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(ran >= 60, `only ${ran} scenarios ran on the kernel`);
});
