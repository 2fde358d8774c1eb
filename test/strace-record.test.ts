// The fixture programs traced with strace on this kernel, now: each fresh log imports
// into a script the model runs exactly as the kernel did, with the same steps, process by
// process, as the committed log (test/fixtures/strace). Needs root, strace, cc and
// unshare; skipped elsewhere, required under CI (.ci/run installs them).
import { inCI } from "./kernel.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { importStrace } from "../src/import/import.js";
import { logSources } from "../src/cli/import_cmd.js";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { withMachineLock } from "../src/oracle/fsenv.js";
import { LOGS, RECORDINGS, cannotTrace, logArg, prepare, recordAll, stepsByProc } from "./strace-fixtures.js";

const why = cannotTrace();
const FS = { fs: [{ path: "/mnt/pmem", type: "tmpfs" as const, dax: "never" as const }] };

test("the fixture programs traced now import into scripts the model runs as the kernel did", {
  skip: why !== null && !inCI() ? `${why}` : false,
}, async () => {
  assert.equal(why, null, `CI traces the fixtures: ${why}`);
  // The machine lock, only while tracing: an oracle run may set fs.leases-enable=0 meanwhile.
  const dir = prepare();
  await withMachineLock(async () => recordAll(dir));
  try {
    for (const r of RECORDINGS) {
      const fresh = importStrace(logSources([logArg(dir, r)]), FS);
      const rep = runOnModel(parseScenario(fresh.text, r.log), "linux").report;
      const bad = rep.steps.filter((s) => !s.ok).map((s) => `${s.line}: ${s.step} = ${s.actual} (log: ${s.expected})`);
      assert.deepEqual(bad, [], `${r.log}:\n${fresh.text}`);
      const committed = importStrace(logSources([logArg(LOGS, r)]), FS);
      assert.deepEqual(stepsByProc(fresh.text), stepsByProc(committed.text), r.log);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
