import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import type { RunReport } from "../src/scenario/report.js";

export const HDR = `@fs /mnt/t type=ext4
@file /mnt/t/f size=4096 uid=1000
@proc H uid=1000
@proc B uid=1000
`;

/** Runs a scenario body (after a standard header) and returns the report. */
export function run(body: string, name = "t", hdr = HDR): RunReport {
  const sc = parseScenario(`@scenario ${name}\n${hdr}\n${body}`, "t.scn");
  return runOnModel(sc).report;
}

/** The actual results of every step, in order. */
export function actuals(body: string, hdr = HDR): (string | null)[] {
  return run(body, "t", hdr).steps.map((s) => s.actual);
}
