// Every bundled scenario runs on the model with every expectation held.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { scenarioFiles } from "../src/cli/files.js";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { formatReport } from "../src/scenario/report.js";

const DIR = new URL("../../scenarios", import.meta.url).pathname;

for (const file of scenarioFiles([DIR])) {
  test(file.slice(DIR.length + 1), () => {
    const sc = parseScenario(readFileSync(file, "utf8"), file);
    const { report } = runOnModel(sc, sc.policy);
    assert.ok(report.ok, formatReport(report));
  });
}

test("the corpus of today's Linux has at least 40 scenarios", () => {
  assert.ok(scenarioFiles([DIR + "/linux"]).length >= 40);
});
