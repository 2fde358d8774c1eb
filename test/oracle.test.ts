// The oracle on the real kernel: runs only on Linux as root with cc (CI); elsewhere the
// kernel tests say what to install and skip.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { parseScenario } from "../src/scenario/parse.js";
import type { RunReport } from "../src/scenario/report.js";
import { diffReports, kernelSkipReason, runOnKernel } from "../src/oracle/index.js";
import { kernelHere, kernelTest } from "./kernel.js";
import { ensureAgent, packageRoot } from "../src/oracle/build.js";
import { withMachineLock } from "../src/oracle/fsenv.js";

const BEFORE = new Set(kernelHere ? await withMachineLock(async () => allAgentProcs(ensureAgent())) : []);
const FIXTURES = join(packageRoot(), "test", "fixtures", "oracle");

function sc(text: string) {
  return parseScenario(text, "inline.scn");
}

function actuals(r: RunReport): (string | null)[] {
  return r.steps.map((s) => s.actual);
}

/** Processes running (or dead, unreaped) the agent binary. */
/** Agent processes on the machine, but those already there when this file started (another run's, even an unkillable one). */
function agentProcs(bin: string): number[] {
  return allAgentProcs(bin).filter((pid) => !BEFORE.has(pid));
}

function allAgentProcs(bin: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/exe`) === bin) { out.push(Number(d)); continue; }
    } catch { /* a zombie has no exe */ }
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      if (stat.includes("(agent)")) out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

const HEAD = `@scenario t
@fs /mnt/t type=tmpfs
@file /mnt/t/a size=8192 uid=1000
@proc A uid=1000
@proc B uid=1000
`;

kernelTest(`the first open returns 3; a write lease fails while the file is open elsewhere`, async () => {
  const r = await runOnKernel(sc(HEAD + `
A: open("/mnt/t/a", O_RDONLY) = 3
B: open("/mnt/t/a", O_RDONLY) = 3
A: fcntl(3, F_SETLEASE, F_WRLCK) = -1 EAGAIN
B: close(3) = 0
A: fcntl(3, F_SETLEASE, F_WRLCK) = 0
A: fcntl(3, F_GETFL) = 0xa000 (flags O_RDONLY|O_ASYNC|O_LARGEFILE)
`));
  assert.equal(r.policy, "kernel");
  assert.deepEqual(actuals(r), ["3", "3", "-1 EAGAIN", "0", "0", "0xa000 (flags O_RDONLY|O_ASYNC|O_LARGEFILE)"]);
  assert.equal(r.ok, true);
});

kernelTest(`a break sends SIGIO with si_code SI_KERNEL; a blocked open is reported ... then resumed`, async () => {
  const r = await runOnKernel(sc(HEAD + `
A: open("/mnt/t/a", O_RDONLY) = 3
A: fcntl(3, F_SETLEASE, F_RDLCK) = 0
B: open("/mnt/t/a", O_WRONLY) ...
A: --- SIGIO {si_code=SI_KERNEL, si_fd=0} ---
A: fcntl(3, F_GETLEASE) = F_UNLCK
A: close(3) = 0
B: <... open resumed> = 3
B: --- none ---
`));
  assert.deepEqual(actuals(r), ["3", "0", "...", "SIGIO {si_code=SI_KERNEL, si_fd=0}", "F_UNLCK", "0", "3", "none"]);
  assert.equal(r.ok, true);
});

kernelTest(`a read reports its bytes, and a mismatch shows them`, async () => {
  const r = await runOnKernel(sc(HEAD + `
A: open("/mnt/t/a", O_RDONLY) = 3
A: pread(3, "\\0\\0x", 3, 0) = 3
`));
  assert.equal(r.steps[1]!.actual, '3 "\\0\\0\\0"');
  assert.equal(r.ok, false);
});

kernelTest(`a scenario that blocks for ever ends within its timeout and leaves no process`, async () => {
  const bin = ensureAgent();
  const lbtBefore = await withMachineLock(async () => readFileSync("/proc/sys/fs/lease-break-time", "utf8"));
  const t0 = Date.now();
  const r = await runOnKernel(sc(`@scenario hang
@sysctl fs.lease-break-time=0
@fs /mnt/t type=tmpfs
@file /mnt/t/a
@proc H
@proc B
H: open("/mnt/t/a", O_RDONLY) = 3
H: fcntl(3, F_SETLEASE, F_RDLCK) = 0
B: open("/mnt/t/a", O_WRONLY) ...
sleep 30s
B: <... open resumed> = 3
H: fcntl(3, F_GETLEASE) = F_UNLCK
`), { timeoutMs: 1500 });
  const took = Date.now() - t0;
  assert.ok(took < 5000, `took ${took} ms`);
  assert.equal(r.ok, false);
  assert.deepEqual(actuals(r), ["3", "0", "...", null, "timeout", "timeout"]);
  // Other test files run scenarios on the kernel too: look while holding the machine lock,
  // when no other run is under way, so that only a leftover of this run can be seen.
  const left = await withMachineLock(async () => ({
    agents: agentProcs(bin), lbt: readFileSync("/proc/sys/fs/lease-break-time", "utf8"),
    mounted: readFileSync("/proc/self/mounts", "utf8").includes("daxlease-oracle"),
  }));
  assert.deepEqual(left, { agents: [], lbt: lbtBefore, mounted: false });
});

/** Each fixture holds (hangs.scn fails where it hangs), and three runs agree. */
async function fixtures(names: string[]): Promise<void> {
  const bin = ensureAgent();
  for (const f of names) {
    const s = parseScenario(readFileSync(join(FIXTURES, f), "utf8"), f);
    const runs: RunReport[] = [];
    for (let i = 0; i < (f === "hangs.scn" ? 1 : 3); i++) runs.push(await runOnKernel(s));
    const first = runs[0]!;
    assert.equal(first.skipped, undefined, f);
    const bad = first.steps.filter((x) => !x.ok).map((x) => `${x.line}: ${x.actual} (expected ${x.expected})`);
    if (f === "hangs.scn") assert.deepEqual(bad, ["13: ... (expected 3)"], f);
    else assert.deepEqual(bad, [], f);
    for (const r of runs.slice(1)) assert.deepEqual(diffReports(first, r), [], `${f}: runs differ`);
  }
  assert.deepEqual(await withMachineLock(async () => agentProcs(bin)), []);
}

const ALL_FIXTURES = readdirSync(FIXTURES).filter((n) => n.endsWith(".scn")).sort();
const usesXfs = (f: string) => /^@fs .*type=xfs/m.test(readFileSync(join(FIXTURES, f), "utf8"));

kernelTest("every fixture but xfs holds, and three runs agree", () => fixtures(ALL_FIXTURES.filter((f) => !usesXfs(f))));
kernelTest("the xfs fixtures hold, and three runs agree", () => fixtures(ALL_FIXTURES.filter(usesXfs)), { xfs: true });

test("model-only scenarios are skipped with the reason", async () => {
  const s = sc(HEAD + `A: cat("/proc/vmstat")\n`);
  assert.match(kernelSkipReason(s) ?? "", /\/proc\/vmstat/);
  const r = await runOnKernel(s);
  assert.equal(r.ok, null);
  assert.deepEqual(r.steps, []);
  assert.match(r.skipped ?? "", /vmstat/);
});

test("diffReports lists the steps whose actual results differ", () => {
  const step = (line: number, actual: string) => ({ line, proc: "A", step: "fcntl(3, F_GETLEASE)", expected: null, actual, ok: true });
  const m: RunReport = { scenario: "s", policy: "linux", ok: true, steps: [step(3, "F_RDLCK"), step(4, "0")] };
  const k: RunReport = { scenario: "s", policy: "kernel", ok: true, steps: [step(3, "F_UNLCK"), step(4, "0")] };
  assert.deepEqual(diffReports(m, k), ["3 A: fcntl(3, F_GETLEASE): model F_RDLCK, kernel F_UNLCK"]);
  assert.deepEqual(diffReports(m, m), []);
});

test("diffReports: where an unbound mmap lands is not a difference; failing on one side is", () => {
  const step = (actual: string) => ({ line: 5, proc: "A", step: "mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0)", expected: null, actual, ok: true });
  const rep = (policy: string, actual: string): RunReport => ({ scenario: "s", policy, ok: true, steps: [step(actual)] });
  assert.deepEqual(diffReports(rep("linux", "0x7efffffff000"), rep("kernel", "0x7ffff7fbf000")), []);
  assert.equal(diffReports(rep("linux", "0x7efffffff000"), rep("kernel", "-1 EACCES")).length, 1);
  const other = { ...rep("kernel", "0x10"), steps: [{ ...step("0x10"), step: "fcntl(3, F_GETOWN)" }] };
  assert.equal(diffReports({ ...other, policy: "linux", steps: [{ ...other.steps[0]!, actual: "0x20" }] }, other).length, 1);
});
