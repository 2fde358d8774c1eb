// The command line: exit codes and one-line errors, never a stack trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useColor } from "../src/cli/colors.js";

const BIN = new URL("../src/cli/bin.js", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "daxlease-cli-"));

function cliEnv(env: Record<string, string>, ...args: string[]) {
  // The runner's own colour variables are dropped so each test says what it means.
  const base = { ...process.env };
  for (const k of ["CI", "NO_COLOR", "FORCE_COLOR", "TERM"]) delete base[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT, env: { ...base, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function cli(...args: string[]) {
  return cliEnv({}, ...args);
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test("run: 0 when every expectation holds, 1 when one does not", () => {
  const good = file("good.scn", `@scenario g\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\n`);
  const bad = file("bad.scn", `@scenario b\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 4\n`);
  assert.equal(cli("run", good).code, 0);
  const r = cli("run", bad);
  assert.equal(r.code, 1);
  assert.match(r.out, /FAILED: expected 4/);
  const both = cli("run", good, bad);
  assert.equal(both.code, 1);
  assert.match(both.out, /1 passed, 1 failed/);
});

test("errors: one line FILE:LINE:COL, exit 2, no stack trace", () => {
  const cases: [string, RegExp][] = [
    [file("e1.scn", `@scenario e\n@fs /mnt/t type=ext4\n@proc A\nA: frobnicate(3)\n`), /e1\.scn:4:4: unknown call frobnicate\n$/],
    [file("e2.scn", `@scenario e\n@fs /mnt/t type=ext4\n@proc A\nA: open("/mnt/t/f", O_RDONLY|O_FAST)\n`), /e2\.scn:4:30: unknown open flag O_FAST\n$/],
    [file("e3.scn", `@scenario e\nA: close(3)\n`), /e3\.scn:2:1: unknown process A/],
  ];
  for (const [p, re] of cases) {
    const r = cli("run", p);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  const missing = cli("run", join(dir, "nope.scn"));
  assert.equal(missing.code, 2);
  assert.match(missing.err, /^daxlease: .*nope\.scn: no such file or directory\n$/);
  const policy = cli("run", "--policy", "nope", cases[0]![0]);
  assert.equal(policy.code, 2);
  assert.match(policy.err, /unknown policy nope/);
});

test("--json prints the contract's object", () => {
  const p = file("j.scn", `@scenario j\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\nA: fcntl(3, F_GETLEASE) = F_RDLCK\n`);
  const r = cli("run", "--json", p);
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.out), {
    scenario: "j", policy: "linux", ok: false,
    steps: [
      { line: 5, proc: "A", step: 'open("/mnt/t/f", O_RDONLY)', expected: "3", actual: "3", ok: true },
      { line: 6, proc: "A", step: "fcntl(3, F_GETLEASE)", expected: "F_RDLCK", actual: "F_UNLCK", ok: false },
    ],
    violations: [],
  });
});

test("--version, --help and policies", () => {
  assert.match(cli("--version").out, /^\d+\.\d+\.\d+\n$/);
  const help = cli("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /run \[options\] <files\.\.\.>/);
  assert.match(cli("policies").out, /^linux: /);
});

test("colour: none when piped, even under CI; FORCE_COLOR and NO_COLOR as usual", () => {
  const esc = /\x1b\[/;
  assert.doesNotMatch(cliEnv({ CI: "1" }, "policies").out, esc);
  assert.match(cliEnv({ CI: "1" }, "policies").out, /^linux: /);
  assert.match(cliEnv({ FORCE_COLOR: "1" }, "policies").out, esc);
  assert.doesNotMatch(cliEnv({ FORCE_COLOR: "1", NO_COLOR: "1" }, "policies").out, esc);
  assert.equal(useColor({}, true), true);
  assert.equal(useColor({ TERM: "dumb" }, true), false);
  assert.equal(useColor({ FORCE_COLOR: "0" }, true), false);
  assert.equal(useColor({ NO_COLOR: "" }, true), true);
});

test("fuzz: a bad option is one line and exit 2, before any kernel run", () => {
  const runs = cli("fuzz", "--runs", "abc");
  assert.equal(runs.code, 2);
  assert.equal(runs.err, "daxlease: --runs must be an integer >= 1, not abc\n");
  const kind = cli("fuzz", "--kind", "nope");
  assert.equal(kind.code, 2);
  assert.equal(kind.err, "daxlease: unknown generator nope (leases, io)\n");
});

test("oracle: files, or --cleanup without any", () => {
  const none = cli("oracle");
  assert.equal(none.code, 2);
  assert.equal(none.err, "daxlease: oracle needs scenario files or directories (or --cleanup)\n");
  const both = cli("oracle", "--cleanup", "x.scn");
  assert.equal(both.code, 2);
  assert.equal(both.err, "daxlease: oracle --cleanup takes no files\n");
});
