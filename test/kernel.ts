// Tests that need this machine's kernel (Linux, root, cc) or xfsprogs. On a machine without
// them they are skipped, with one line saying what to install; under CI (.ci/run installs
// everything) they run all the same, and fail if they cannot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { oracleAvailable } from "../src/oracle/index.js";
import { FsEnv } from "../src/oracle/fsenv.js";

export const inCI = (env: Record<string, string | undefined> = process.env): boolean =>
  env.CI !== undefined && !["", "0", "false"].includes(env.CI.toLowerCase());

const oracle = oracleAvailable();
const xfs = FsEnv.cannot({ line: 0, path: "/x", type: "xfs", dax: "never", size: 64 << 20, blockSize: 4096 });

/** What a test needs that this machine lacks, said as what to do about it; null when it has it all. */
export function missing(needs: { xfs?: boolean } = {}): string | null {
  if (!oracle.ok) return `needs the kernel oracle: ${oracle.why}`;
  if (needs.xfs && xfs !== null) return `needs ${xfs}`;
  return null;
}

/** `test`, for a test that runs on the kernel. */
export function kernelTest(name: string, fn: () => Promise<void> | void, needs: { xfs?: boolean } = {}): void {
  const why = missing(needs);
  if (why === null) test(name, fn);
  else if (inCI()) test(name, () => assert.fail(`CI: ${why} (.ci/run should have installed it)`));
  else test(name, { skip: why }, () => {});
}

/** True when the kernel tests run (the oracle is here). */
export const kernelHere = oracle.ok;
