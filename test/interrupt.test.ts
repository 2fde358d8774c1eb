// An interrupted oracle run leaves nothing behind: SIGINT, SIGTERM and SIGHUP sent to
// `daxlease oracle` in the middle of a scenario, and a process that dies of an EPIPE in
// the middle of one, restore the sysctl, release the lock and remove the run's directory;
// the run's processes, mounts and loop devices go with its namespaces. What a SIGKILL
// leaves, `daxlease oracle --cleanup` (or the next run) undoes, and says so.
import { inCI } from "./kernel.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { oracleAvailable } from "../src/oracle/index.js";
import { cleanStale, withMachineLock } from "../src/oracle/fsenv.js";

const BIN = new URL("../src/cli/bin.js", import.meta.url).pathname;
const INDEX = new URL("../src/oracle/index.js", import.meta.url).pathname;
const PARSE = new URL("../src/scenario/parse.js", import.meta.url).pathname;
const LBT = "/proc/sys/fs/lease-break-time";
const LOCK = "/run/daxlease-oracle.lock";
/** A value no other scenario sets: seeing it means this test's run is under way. */
const MARK = 37;

const avail = oracleAvailable();
const kernelTest = (name: string, fn: () => Promise<void>) =>
  !avail.ok && inCI()
    ? test(name, () => assert.fail(`cannot run on the kernel under CI: ${avail.why}`))
    : test(name, { skip: avail.ok ? false : avail.why }, fn);

const SCRIPT = `@scenario interrupted
@sysctl fs.lease-break-time=${MARK}
@fs /mnt/e type=ext4
@fs /mnt/t type=tmpfs
@file /mnt/e/a size=10
@proc A
A: open("/mnt/e/a", O_RDONLY) = 3
A: fcntl(3, F_SETLEASE, F_RDLCK) = 0
sleep 60s
`;

function scenarioDir(): string {
  const d = mkdtempSync(join(tmpdir(), "daxlease-interrupt-"));
  writeFileSync(join(d, "interrupted.scn"), SCRIPT);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function runDirs(pid: number): string[] {
  return readdirSync("/var/tmp").filter((n) => n.startsWith(`daxlease-oracle-${pid}-`)).map((n) => join("/var/tmp", n));
}

/** Waits (other runs may hold the machine first) until the child's run is under way; returns its run directory and the value it saved. */
async function started(child: ChildProcess): Promise<{ dir: string; saved: string }> {
  const until = Date.now() + 600_000;
  while (Date.now() < until && child.exitCode === null && child.signalCode === null) {
    const dir = runDirs(child.pid!)[0];
    // The sysctl is set once the tree is up, the agent comes next: keeper, init and agent.
    if (dir !== undefined && readFileSync(LBT, "utf8").trim() === String(MARK) && runProcs(dir).length >= 3) {
      const saved = (JSON.parse(readFileSync(join(dir, "sysctl.restore"), "utf8")) as [string, string][])[0]![1];
      return { dir, saved };
    }
    await sleep(20);
  }
  throw new Error(`the run did not start (exit ${child.exitCode}, signal ${child.signalCode})`);
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) res({ code: child.exitCode, signal: child.signalCode });
    else child.on("exit", (code, signal) => res({ code, signal }));
  });
}

/** Processes whose command line names the run directory: the keeper, its init, the agents. */
function runProcs(dir: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync("/proc").filter((n) => /^\d+$/.test(n))) {
    try { if (readFileSync(`/proc/${p}/cmdline`, "latin1").includes(dir)) out.push(Number(p)); } catch { /* gone */ }
  }
  return out;
}

/** Loop devices backed by a file of the run directory. */
function runLoops(dir: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync("/sys/block").filter((n) => n.startsWith("loop"))) {
    try { if (readFileSync(`/sys/block/${d}/loop/backing_file`, "utf8").includes(dir)) out.push(d); } catch { /* not bound */ }
  }
  return out;
}

/** What the run left: read at once (another run may take the machine right after). */
async function leftovers(pid: number, dir: string, saved: string): Promise<Record<string, unknown>> {
  const lbt = readFileSync(LBT, "utf8").trim();
  const lock = existsSync(LOCK) ? readFileSync(LOCK, "utf8") : "";
  // The namespaces' processes die with the keeper; their mounts and loop devices with them.
  const until = Date.now() + 5000;
  while ((runProcs(dir).length > 0 || runLoops(dir).length > 0) && Date.now() < until) await sleep(50);
  return {
    sysctl: lbt === saved ? "restored" : lbt, lock: lock.startsWith(`${pid} `) ? "held" : "released",
    dir: existsSync(dir) ? "left" : "removed", processes: runProcs(dir), loops: runLoops(dir),
    hostMounts: readFileSync("/proc/self/mounts", "utf8").split("\n").filter((l) => l.includes(dir)),
  };
}

const CLEAN = { sysctl: "restored", lock: "released", dir: "removed", processes: [], loops: [], hostMounts: [] };

for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  kernelTest(`${sig} in the middle of a run leaves nothing behind`, async () => {
    const sd = scenarioDir();
    try {
      const child = spawn(process.execPath, [BIN, "oracle", sd], { stdio: ["ignore", "pipe", "pipe"] });
      const { dir, saved } = await started(child);
      child.kill(sig);
      const end = await exited(child);
      const left = await leftovers(child.pid!, dir, saved);
      assert.equal(end.signal, sig);
      assert.deepEqual(left, CLEAN);
    } finally {
      rmSync(sd, { recursive: true, force: true });
    }
  });
}

kernelTest("a process that dies of an EPIPE in the middle of a run leaves nothing behind", async () => {
  // Writes while the run is under way, to a pipe whose reader goes away: the EPIPE is
  // not handled, the process dies of it (an uncaught exception), and its exit undoes the run.
  const code = `
    import { readFileSync } from "node:fs";
    import { runOnKernel } from ${JSON.stringify(INDEX)};
    import { parseScenario } from ${JSON.stringify(PARSE)};
    void runOnKernel(parseScenario(${JSON.stringify(SCRIPT)}, "interrupted.scn"));
    setInterval(() => { if (readFileSync(${JSON.stringify(LBT)}, "utf8").trim() === "${MARK}") process.stdout.write("under way\\n"); }, 20);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => { stderr += d; });
  await new Promise<void>((res) => child.stdout!.once("data", () => res()));
  const dir = runDirs(child.pid!)[0]!;
  assert.ok(dir !== undefined, "the run directory exists");
  const saved = (JSON.parse(readFileSync(join(dir, "sysctl.restore"), "utf8")) as [string, string][])[0]![1];
  child.stdout!.destroy();
  const end = await exited(child);
  const left = await leftovers(child.pid!, dir, saved);
  assert.equal(end.code, 1);
  assert.match(stderr, /EPIPE/);
  assert.deepEqual(left, CLEAN);
});

kernelTest("after a SIGKILL, the run's processes and mounts are gone, and --cleanup undoes the rest", async () => {
  const sd = scenarioDir();
  try {
    const child = spawn(process.execPath, [BIN, "oracle", sd], { stdio: ["ignore", "pipe", "pipe"] });
    const { dir, saved } = await started(child);
    child.kill("SIGKILL");
    await exited(child);
    // The keeper dies of its parent's death, its init of the keeper's: no process, mount or loop device stays.
    const until = Date.now() + 5000;
    while ((runProcs(dir).length > 0 || runLoops(dir).length > 0) && Date.now() < until) await sleep(50);
    assert.deepEqual({ processes: runProcs(dir), loops: runLoops(dir) }, { processes: [], loops: [] });
    // A run of someone else's may hold the machine: --cleanup then says so and does nothing; try again.
    let err = "", end = { code: 1 as number | null, signal: null as string | null };
    for (let i = 0; i < 3000 && end.code === 1; i++) {
      if (i > 0) await sleep(200);
      const clean = spawn(process.execPath, [BIN, "oracle", "--cleanup"], { stdio: ["ignore", "pipe", "pipe"] });
      err = "";
      clean.stderr!.on("data", (d) => { err += d; });
      end = await exited(clean);
    }
    assert.equal(end.code, 0, err);
    // Another run on this machine may have cleaned up first; then there was nothing left to do.
    assert.match(err, new RegExp(`^daxlease: (cleaned up after an interrupted run: .*removed ${dir}|nothing to clean up)\\n$`));
    assert.equal(existsSync(dir), false);
    assert.notEqual(readFileSync(LBT, "utf8").trim(), String(MARK));
    void saved;
  } finally {
    rmSync(sd, { recursive: true, force: true });
  }
});

kernelTest("the cleanup of a dead run's leftovers restores its sysctls, removes its directory and says what it did", async () => {
  await withMachineLock(async () => {
    const before = readFileSync(LBT, "utf8").trim();
    const dir = mkdtempSync("/var/tmp/daxlease-oracle-1-");
    mkdirSync(join(dir, "root"));
    writeFileSync(join(dir, "sysctl.restore"), JSON.stringify([[LBT, before]]));
    writeFileSync(LBT, `${MARK}\n`);
    const did = cleanStale();
    assert.deepEqual(did, [`fs.lease-break-time back to ${before}`, `removed ${dir}`]);
    assert.equal(readFileSync(LBT, "utf8").trim(), before);
    assert.equal(existsSync(dir), false);
  });
});
