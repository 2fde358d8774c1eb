// Logs of the oracle's agents under strace (runOnKernel's `strace` option), committed so that
// the round trip's comparison is tested without root: test/fixtures/strace-oracle/NAME.strace
// is the log with the namespace's pids and the agents' bookkeeping still in, NAME.json the
// pids' names and the kernel's report of that run. Written by
// `node dist/test/strace-oracle-fixtures.js --write` (as root, with strace).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenarios } from "../src/cli/load.js";
import type { Scenario } from "../src/scenario/ast.js";
import type { RunReport } from "../src/scenario/report.js";

const ROOT = new URL("../../", import.meta.url).pathname;
export const ORACLE_LOGS = join(ROOT, "test", "fixtures", "strace-oracle");
export const LINUX = join(ROOT, "scenarios", "linux");
/** Scripts with a fork, kills, signals with their fields, a blocked call resumed, a mapping, an exit status. */
export const ORACLE_SCRIPTS = ["rt-signal-fork-kill", "holder-killed-releases-breaker", "mapping-keeps-lease"];

export interface OracleRecording { sc: Scenario; full: string; names: Record<number, string>; report: RunReport }

export function loadRecording(name: string): OracleRecording {
  const [sc] = loadScenarios([join(LINUX, `${name}.scn`)]);
  const meta = JSON.parse(readFileSync(join(ORACLE_LOGS, `${name}.json`), "utf8")) as { names: Record<number, string>; report: RunReport };
  return { sc: sc!, full: readFileSync(join(ORACLE_LOGS, `${name}.strace`), "latin1"), ...meta };
}

if (process.argv.includes("--write")) {
  const { roundTrip } = await import("../src/oracle/roundtrip.js");
  mkdirSync(ORACLE_LOGS, { recursive: true });
  for (const name of ORACLE_SCRIPTS) {
    const [sc] = loadScenarios([join(LINUX, `${name}.scn`)]);
    const r = await roundTrip(sc!);
    if (r.trace === null) throw new Error(`${name}: ${r.report.skipped}`);
    writeFileSync(join(ORACLE_LOGS, `${name}.strace`), r.trace.full, "latin1");
    writeFileSync(join(ORACLE_LOGS, `${name}.json`), JSON.stringify({ names: r.trace.names, report: r.report }, null, 1) + "\n");
  }
  process.stdout.write(`wrote ${ORACLE_SCRIPTS.length} logs to ${ORACLE_LOGS}\n`);
}
