// The command line: exit codes and one-line errors, never a stack trace.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useColor } from "../src/cli/colors.js";
import { fitCell } from "../src/cli/matrix_cmd.js";
import { CALL_DOCS } from "../src/cli/calls_cmd.js";
import { fuzzVerdict } from "../src/cli/fuzz_cmd.js";
import { Reach } from "../src/fuzz/reach.js";
import { showProgress } from "../src/cli/progress.js";
import { CALLS } from "../src/scenario/calls.js";
import { kernelTest } from "./kernel.js";

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

test("--json prints an array of reports, each with its file and scenario, even for one file", () => {
  const p = file("j.scn", `@scenario j\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\nA: fcntl(3, F_GETLEASE) = F_RDLCK\n`);
  const r = cli("run", "--json", p);
  assert.equal(r.code, 1);
  assert.deepEqual(JSON.parse(r.out), [{
    file: p, scenario: "j", policy: "linux", ok: false,
    steps: [
      { line: 5, proc: "A", step: 'open("/mnt/t/f", O_RDONLY)', expected: "3", actual: "3", ok: true },
      { line: 6, proc: "A", step: "fcntl(3, F_GETLEASE)", expected: "F_RDLCK", actual: "F_UNLCK", ok: false },
    ],
    violations: [],
  }]);
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

test("run: a result the call cannot return, or an unbound $name, is a script error (exit 2), not a run", () => {
  const banana = file("banana.scn", `@scenario b\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = banana\n`);
  const r = cli("run", banana);
  assert.equal(r.code, 2);
  assert.match(r.err, /banana\.scn:5:33: open returns a number, -1 ERRNO, \$name or \?, not banana\n$/);
  const unbound = file("unbound.scn", `@scenario u\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: munmap($buf, 4096) = 0\n`);
  const u = cli("run", unbound);
  assert.equal(u.code, 2);
  assert.match(u.err, /unbound\.scn:5:11: \$buf is bound by no earlier step/);
  assert.equal(u.out, "");
});

// A tmpfs page pinned by an MR, cut off by a truncate: the NIC's bytes are lost, and
// user-told fails (under every policy) while every step goes as written.
const LOST = `@fs /mnt/s type=tmpfs size=1M
@file /mnt/s/a size=8192
@proc A
@proc B
A: open("/mnt/s/a", O_RDWR) = 3
A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b
A: open("/dev/infiniband/uverbs0", O_RDWR) = 4
A: ibv_alloc_pd(4) = $pd
A: ibv_reg_mr($pd, $b, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr
B: truncate("/mnt/s/a", 0) = 0
NIC: rdma_write($mr, 0, "lost") = 4
`;

test("run: a failed property fails the run unless @expect says so, and shows in every output", () => {
  const d = mkdtempSync(join(dir, "finding-"));
  const lost = join(d, "lost.scn"), fine = join(d, "fine.scn");
  writeFileSync(lost, `@scenario lost\n${LOST}`);
  writeFileSync(fine, `@scenario fine\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\n`);
  // One file: the property under its step, and FAILED.
  const one = cli("run", lost);
  assert.equal(one.code, 1);
  assert.match(one.out, /\n {6}! user-told fails: .*\n/);
  assert.match(one.out, /expectation failed: user-told failed, and no @expect line says it may/);
  assert.match(one.out, /\nFAILED\n$/);
  // A directory, under another policy too: the file's line and the summary name it.
  for (const args of [[d], ["--policy", "rfc-v1", d]]) {
    const many = cli("run", ...args);
    assert.equal(many.code, 1, many.out);
    assert.match(many.out, /^ok {6}.*fine\.scn\n/m);
    assert.match(many.out, /^FAILED  .*lost\.scn: user-told fails at line 12\n/m);
    assert.match(many.out, /^1 passed, 1 failed\nfailed properties: user-told in 1 script\n$/m);
  }
  const json = JSON.parse(cli("run", "--json", d).out) as { file: string; scenario: string; ok: boolean; violations: { property: string; line: number }[] }[];
  assert.deepEqual(json.map((r) => [r.file, r.scenario, r.ok, r.violations.map((v) => `${v.property}@${v.line}`)]),
    [[fine, "fine", true, []], [lost, "lost", false, ["user-told@12"]]]);
  // Stated by @expect: the run passes, and still says it.
  writeFileSync(lost, `@scenario lost\n@expect user-told fails\n${LOST}`);
  const said = cli("run", lost);
  assert.equal(said.code, 0);
  assert.match(said.out, /\nok \(as @expect says: user-told fails at line 13\)\n$/);
  assert.match(cli("run", d).out, /^ok {6}.*lost\.scn {2}\(as @expect says: user-told fails at line 13\)$/m);
});

test("a broken script in a folder is reported and the rest run; the exit status is 2 at the end", () => {
  const d = mkdtempSync(join(dir, "broken-"));
  writeFileSync(join(d, "a.scn"), `@scenario a\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\n`);
  writeFileSync(join(d, "b.scn"), `@scenario b\n@proc A\nA: frobnicate(3)\n`);
  writeFileSync(join(d, "c.scn"), `@scenario c\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 4\n`);
  const r = cli("run", d);
  assert.equal(r.code, 2);
  assert.equal(r.err, `${join(d, "b.scn")}:3:4: unknown call frobnicate\n`);
  assert.match(r.out, /^ok {6}.*a\.scn\nFAILED  .*c\.scn: line 5 did not go as written\n1 passed, 1 failed, 1 not run \(script error\)\n$/);
  const json = JSON.parse(cli("run", "--json", d).out) as { file: string; scenario: string; ok: boolean | null; error?: string }[];
  assert.deepEqual(json.map((x) => [x.scenario, x.ok, x.error ?? null]), [["b", null, `${join(d, "b.scn")}:3:4: unknown call frobnicate`], ["a", true, null], ["c", false, null]]);
  const m = cli("matrix", "--policy", "linux", d);
  assert.equal(m.code, 2);
  assert.match(m.out, /2 scenarios x 1 policies, 1 not run \(script error\)/);
});

test("every error of the command line starts with daxlease:, a script's with FILE:LINE:COL", () => {
  assert.deepEqual([cli("run", "--bogus", "x").err, cli("nope").err.split("\n")[0]], ["daxlease: unknown option '--bogus'\n", "daxlease: unknown command 'nope'"]);
  assert.equal(cli("matrix", "--policy", "nope").err, "daxlease: unknown policy nope (daxlease policies lists them)\n");
  assert.equal(cli("diff", "--runs", "abc", "scenarios/linux").err, "daxlease: --runs must be an integer >= 1, not abc\n");
  assert.equal(cli("diff", "--runs", "abc", "scenarios/linux").code, 2);
});

test("oracle and diff: a script the kernel cannot run is skipped, naming the first step it lacks; nothing compared is exit 3", () => {
  // Line 8 is the first call no kernel has (F_LAYOUT); line 10 opens a device only the model has.
  const p = file("layout.scn", `@scenario layout\n@policy rfc-v1\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\n\nA: open("/mnt/t/f", O_RDWR) = 3\nA: fcntl(3, F_SETLEASE, F_LAYOUT) = 0\n# the RDMA context\nA: open("/dev/infiniband/uverbs0", O_RDWR) = 4\n`);
  const o = cli("oracle", "--json", p);
  assert.equal(o.code, 3);
  assert.deepEqual(JSON.parse(o.out), [{ file: p, scenario: "layout", policy: "kernel", ok: null, steps: [], skipped: "line 8: F_SETLEASE F_LAYOUT is model-only (no kernel has it)" }]);
  // Written for a proposal with calls the kernel has: its expectations are not the kernel's.
  const q = file("proposal.scn", `@scenario proposal\n@policy sticky\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDWR) = 3\n`);
  const oq = JSON.parse(cli("oracle", "--json", q).out) as { skipped: string }[];
  assert.match(oq[0]!.skipped, /^written for @policy sticky, not for today's kernel/);
  const d = cli("diff", p);
  assert.equal(d.code, 3);
  assert.match(d.out, /nothing compared/);
  assert.doesNotMatch(d.out, /^same|agree/m);
  const dj = cli("diff", "--json", p);
  assert.equal(dj.code, 3);
  assert.deepEqual(JSON.parse(dj.out), [{ file: p, scenario: "layout", policy: "linux", ok: null, steps: [], skipped: "line 8: F_SETLEASE F_LAYOUT is model-only (no kernel has it)", runs: 1, differences: [] }]);
});

test("matrix (npm start): at most 120 columns, no trailing spaces, a header per corpus, rows where all held hidden, + explained", () => {
  const r = cli("matrix");
  assert.equal(r.code, 0);
  const lines = r.out.split("\n");
  assert.deepEqual(lines.filter((l) => l.length > 120), []);
  assert.deepEqual(lines.filter((l) => / $/.test(l)), []);
  assert.match(r.out, /^scenarios\/linux \(\d+ scenarios\)\n {40}linux {13}rfc-v2 .*\nscenario {41}rfc-v1 /);
  assert.match(r.out, /\n\nscenarios\/proposals \(\d+ scenarios\)\n/);
  assert.doesNotMatch(r.out, /^cap-lease /m); // held under every policy
  assert.match(r.out, /^admin-lsof-kill-recovers +@25 /m);
  assert.match(r.out, /\d+ rows where every cell held are not shown \(--all shows them\)/);
  assert.match(r.out, /`\+`: more than the cell shows/);
  assert.match(r.out, /C no-corruption, T user-told, V pinner-visible, R recoverable, H no-innocent-hang/);
});

test("matrix: --policy keeps those columns, --all shows every row, --json is an array of reports per cell", () => {
  const d = mkdtempSync(join(dir, "matrix-"));
  writeFileSync(join(d, "lost.scn"), `@scenario lost\n${LOST}`);
  writeFileSync(join(d, "fine.scn"), `@scenario fine\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\n`);
  const two = cli("matrix", "--policy", "linux,sticky,close=revoke", d);
  assert.equal(two.code, 0);
  const head = two.out.split("\n").slice(1, 3);
  assert.deepEqual(head, [" ".repeat(8) + " linux", "scenario" + " ".repeat(10) + "sticky,close=revoke"]);
  assert.match(two.out, /^lost {5}T12 {6}T12\n/m);
  assert.doesNotMatch(two.out, /^fine /m);
  assert.match(cli("matrix", "--all", "--policy", "odp", d).out, /^fine {5}held\n/m);
  const json = JSON.parse(cli("matrix", "--json", "--policy", "linux", "--policy", "odp", d).out) as { file: string; scenario: string; policy: string }[];
  assert.deepEqual(json.map((x) => [x.file, x.scenario, x.policy]),
    [[join(d, "fine.scn"), "fine", "linux"], [join(d, "fine.scn"), "fine", "odp"], [join(d, "lost.scn"), "lost", "linux"], [join(d, "lost.scn"), "lost", "odp"]]);
});

test("matrix cells: the parts that fit, and + for the rest", () => {
  assert.equal(fitCell([], 8), "held");
  assert.equal(fitCell(["@27", "V27"], 8), "@27 V27");
  assert.equal(fitCell(["@27", "V27", "R44"], 8), "@27 V27+");
  assert.equal(fitCell(["@1234", "V27"], 8), "@1234+");
});

test("calls: every call of the parser's table, kernel or model, with its arguments and the flags", () => {
  const r = cli("calls");
  assert.equal(r.code, 0);
  assert.deepEqual(Object.keys(CALLS).filter((c) => CALL_DOCS[c] === undefined), []);
  for (const c of Object.keys(CALLS)) assert.match(r.out, new RegExp(`^  (NIC: )?${c}\\(`, "m"), c);
  assert.match(r.out, /^ {2}open\(path, oflags\[, mode\]\) +kernel {2}/m);
  assert.match(r.out, /^ {2}ibv_reg_mr\(handle, addr, int, ibvaccess\) +model {3}/m);
  assert.match(r.out, /^ {2}NIC: rdma_write\(handle, int, buf\) +model /m);
  assert.match(r.out, /F_SETLEASE {2}F_RDLCK F_WRLCK F_UNLCK; model only: F_LAYOUT F_EXCLUSIVE/);
  assert.match(r.out, /fcntl .*F_GETLEASE.*; model only: F_SETLAYOUT F_GETLAYOUT/);
  assert.match(r.out, /FALLOC_FL_PUNCH_HOLE/);
  assert.deepEqual(r.out.split("\n").filter((l) => / $/.test(l)), []);
});

function reachedSome(): Reach {
  const r = new Reach();
  r.add(new Set(["leases", "pins"]));
  r.add(new Set());
  return r;
}

test("fuzz: a run where the kernel skipped every script compared nothing: it says so and exits 3", () => {
  const none = fuzzVerdict("io, seed 1", { runs: 5, skipped: 5, reached: new Reach(), found: null }, new Map([["xfs: mkfs.xfs not found (install xfsprogs)", 5]]), "0.1");
  assert.equal(none.code, 3);
  assert.match(none.text, /^nothing compared {2}io, seed 1: 5 scripts, 5 skipped: the kernel ran none of them/);
  assert.match(none.text, /skipped 5: xfs: mkfs\.xfs not found \(install xfsprogs\)/);
  assert.doesNotMatch(none.text, /agree/);
  const some = fuzzVerdict("io, seed 1", { runs: 5, skipped: 2, reached: reachedSome(), found: null }, new Map(), "0.1");
  assert.equal(some.code, 0);
  assert.match(some.text, /agree on every step of the 3 compared/);
  assert.match(some.text, /\nreached: leases 50%, breaks 0%, blocked 0%, timeouts 0%, pins 50%\n$/);
});

test("progress: only on a terminal that can redraw, never under CI; without it, print is a plain write", () => {
  assert.equal(showProgress({}, true), true);
  assert.equal(showProgress({}, false), false);
  assert.equal(showProgress({ TERM: "dumb" }, true), false);
  assert.equal(showProgress({ CI: "true" }, true), false);
  // Piped: no carriage returns or escapes from a bar in a long command's output.
  const p = file("skip.scn", `@scenario s\n@fs /mnt/t type=ext4\n@file /mnt/t/f\n@proc A\nA: lsof("/mnt/t/f")\n`);
  assert.doesNotMatch(cli("diff", p, p).out + cli("diff", p, p).err, /\r|\x1b/);
});

kernelTest("oracle: each scenario's result is printed as it ends, while the next one still runs", async () => {
  const quick = file("quick.scn", `@scenario quick\n@fs /mnt/t type=tmpfs\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\n`);
  const slow = file("slow.scn", `@scenario slow\n@fs /mnt/t type=tmpfs\n@file /mnt/t/f\n@proc A\nA: open("/mnt/t/f", O_RDONLY) = 3\nsleep 2s\nA: close(3) = 0\n`);
  const child = spawn(process.execPath, [BIN, "oracle", quick, slow], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const chunks: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => chunks.push(d));
  const code = await new Promise<number | null>((res) => child.on("close", res));
  assert.equal(code, 0, chunks.join(""));
  const first = chunks.findIndex((c) => c.includes("quick.scn"));
  const second = chunks.findIndex((c) => c.includes("slow.scn"));
  assert.ok(first >= 0 && second > first, `quick's line came with slow's: ${JSON.stringify(chunks)}`);
  assert.match(chunks.join(""), /^ok  .*quick\.scn\nok  .*slow\.scn\n2 passed, 0 failed, 0 skipped\n$/);
});

test("installed outside the repository (npm install -g of a packed tarball), the command needs only its dependencies", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  const bare = new Set<string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith(".ts"))
        for (const m of readFileSync(join(d, e.name), "utf8").matchAll(/^import (?!type )[^"]*"([^".][^"]*)"/gm))
          if (!m[1]!.startsWith("node:")) bare.add(m[1]!.split("/")[0]!);
    }
  };
  walk(join(ROOT, "src"));
  assert.ok(bare.has("commander"));
  assert.deepEqual([...bare].filter((b) => pkg.dependencies[b] === undefined), []);
});

test("oracle: files, or --cleanup without any", () => {
  const none = cli("oracle");
  assert.equal(none.code, 2);
  assert.equal(none.err, "daxlease: oracle needs scenario files or directories (or --cleanup)\n");
  const both = cli("oracle", "--cleanup", "x.scn");
  assert.equal(both.code, 2);
  assert.equal(both.err, "daxlease: oracle --cleanup takes no files\n");
});
