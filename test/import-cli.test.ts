// `daxlease import` and `daxlease replay` on the command line: the committed fixture logs,
// one-line errors with the log's LINE:COL, and replay's sentences per policy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const BIN = new URL("../src/cli/bin.js", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const LOGS = join(ROOT, "test", "fixtures", "strace");
const dir = mkdtempSync(join(tmpdir(), "daxlease-import-"));

function cli(...args: string[]) {
  const env = { ...process.env };
  for (const k of ["FORCE_COLOR", "NO_COLOR", "CI"]) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("import: the scenario on stdout (or --out), the summary on stderr; run accepts it", () => {
  const log = join(LOGS, "map-truncate.tt-T-y.strace");
  const r = cli("import", log, "--fs", "/mnt/pmem=tmpfs");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^@scenario map-truncate\.tt-T-y$/m);
  assert.match(r.err, /^kept \d+ calls: /m);
  assert.match(r.err, /^mounts: \/mnt\/pmem tmpfs \(--fs\)$/m);
  const out = join(dir, "m.scn");
  const w = cli("import", log, "--fs", "/mnt/pmem=tmpfs", "--out", out);
  assert.equal(w.code, 0);
  assert.equal(w.out, "");
  assert.equal(readFileSync(out, "utf8"), r.out);
  const run = cli("run", out);
  assert.equal(run.code, 0, run.out);
  // -ff: the per-process files, named by their prefix.
  const ff = cli("import", join(LOGS, "map-truncate.ff", "trace"), "--fs", "/mnt/pmem=tmpfs");
  assert.equal(ff.code, 0, ff.err);
  assert.match(ff.err, /one log per process \(-ff\)/);
});

test("import errors: the log's LINE:COL, exit 2, never a stack trace", () => {
  const bad = join(dir, "bad.strace");
  writeFileSync(bad, `1 getpid() = 1\n1 openat(AT_FDCWD, "/mnt/pmem/a", O_RDONLY) = three\n`);
  const r = cli("import", bad);
  assert.equal(r.code, 2);
  assert.equal(r.err, `${bad}:2:47: cannot read the result "three"\n`);
  const cut = join(dir, "cut.strace");
  writeFileSync(cut, `1 getpid() = 1\n1 openat(AT_FDCWD, "/mnt/pm`);
  assert.match(cli("import", cut).err, /cut\.strace:2:20: unterminated string \(a line cut short\?\)\n$/);
  const missing = cli("import", join(dir, "nope.strace"));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^daxlease: .*nope\.strace: no such file \(nor .*nope\.strace\.PID files of strace -ff\)\n$/);
  const fs = cli("import", bad, "--fs", "/mnt/pmem=zfs");
  assert.equal(fs.code, 2);
  assert.equal(fs.err, "daxlease: --fs /mnt/pmem=zfs: the type is ext4, xfs or tmpfs\n");
  for (const x of [r, missing, fs]) assert.doesNotMatch(x.err, /\n\s+at /);
});

test("replay: the io_uring program as if its file were on FS-DAX, policy by policy", () => {
  const log = join(LOGS, "uring-register.yy-Xverbose.strace");
  const r = cli("replay", log, "--fs", "/mnt/pmem=xfs,dax=always");
  assert.equal(r.code, 0, r.err);
  const at = (n: number) => `uring-register.yy-Xverbose.strace:${n}`;
  // Today's kernel refuses to pin FS-DAX; the log, taken on tmpfs, shows the pin.
  assert.match(r.out, new RegExp(`your program under linux: uring_register gets EOPNOTSUPP at ${at(35)} \\(io_uring_register_buffers\\(4, \\$m1, 8192\\)\\), where the log shows 0\\.`));
  // RFC v1 has F_LAYOUT; with it the pin is allowed, and the child's truncate breaks the lease and waits.
  assert.match(r.out, new RegExp(`your program under rfc-v1: uring_register's fcntl\\(3, F_SETLEASE, F_LAYOUT\\) at ${at(31)} returns 0, where the log shows -1 EINVAL\\.`));
  assert.match(r.out, new RegExp(`your program under rfc-v1: uring_register_child's truncate\\("/mnt/pmem/a", 0\\) at ${at(39)} waits, where in the log it returned 0\\.`));
  // RFC v2 wants F_LAYOUT|F_EXCLUSIVE held by the pinner: the plain layout lease is not enough.
  assert.match(r.out, new RegExp(`your program under rfc-v2: uring_register gets EPERM at ${at(35)}`));
  assert.match(r.out, new RegExp(`your program under sticky: uring_register_child gets ETXTBSY at ${at(39)}`));
  assert.match(r.out, /^odp: as under linux \(2 differences from the log, the same as linux's\)\.$/m);
  // The imported script replays the same: it carries the log's line numbers.
  const scn = join(dir, "u.scn");
  assert.equal(cli("import", log, "--fs", "/mnt/pmem=xfs,dax=always", "--out", scn).code, 0);
  const again = cli("replay", scn);
  assert.equal(again.out.split("\n").slice(1).join("\n"), r.out.split("\n").slice(1).join("\n"));
});

test("replay --json and --policy", () => {
  const log = join(LOGS, "uring-register.Xraw.strace");
  const r = cli("replay", log, "--fs", "/mnt/pmem=xfs,dax=always", "--policy", "rfc-v2", "--json");
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out) as { policy: string; differences: { origin: string; log: string; actual: string; asLinux: boolean }[]; failures: unknown[] }[];
  assert.deepEqual(j.map((x) => x.policy), ["rfc-v2"]);
  assert.deepEqual(j[0]!.differences.find((d) => d.origin === "uring-register.Xraw.strace:35"), {
    line: j[0]!.differences.find((d) => d.origin === "uring-register.Xraw.strace:35")!["line" as keyof object],
    origin: "uring-register.Xraw.strace:35", proc: "uring_register", step: "io_uring_register_buffers(4, $m1, 8192)",
    log: "0", actual: "-1 EPERM", asLinux: false,
    sentence: "uring_register gets EPERM at uring-register.Xraw.strace:35 (io_uring_register_buffers(4, $m1, 8192)), where the log shows 0",
  });
  const bad = cli("replay", log, "--policy", "nope");
  assert.equal(bad.code, 2);
  assert.match(bad.err, /unknown policy nope/);
});

test("replay: a program the proposals leave alone", () => {
  const r = cli("replay", join(LOGS, "lease-pair.f.strace"), "--fs", "/mnt/pmem=xfs,dax=always");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^linux \(today's kernel, as the model has it\): every step as in the log; no property fails\.$/m);
  assert.match(r.out, /^sticky,close=block: as under linux: every step as in the log, no property fails\.$/m);
});

test("the replay README.md shows is what replay prints", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = /```\n\$ daxlease (replay [^\n]*)\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(m !== null, "README.md shows no replay");
  const r = cli(...m[1]!.split(" "));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out.trimEnd(), m[2]);
});
