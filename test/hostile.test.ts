// Hostile paths: every call that takes a path, aimed at a canary file and folder outside
// the run, by `..` chains and absolute paths. The parser refuses them; a scenario built
// without the parser runs on the model and on the kernel, where the oracle's agents live
// in the run's own tree: both must answer the same, and the canary must be untouched.
import { inCI } from "./kernel.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { randomBytes } from "node:crypto";
import { parseScenario } from "../src/scenario/parse.js";
import { CALLS } from "../src/scenario/calls.js";
import { ScriptError } from "../src/scenario/error.js";
import { runOnModel } from "../src/run/model.js";
import { diffReports, oracleAvailable, runOnKernel } from "../src/oracle/index.js";

function onPath(cmd: string): boolean {
  return `${process.env.PATH ?? ""}:/usr/sbin:/sbin`.split(":").some((d) => d !== "" && existsSync(join(d, cmd)));
}

const avail = oracleAvailable();
const missing = !avail.ok ? avail.why : !onPath("mkfs.xfs") ? "no mkfs.xfs (install xfsprogs)" : null;
/** Outside CI a missing prerequisite skips, with one line; under CI=true it fails. */
const kernelTest = (name: string, fn: () => Promise<void>) =>
  missing !== null && inCI()
    ? test(name, () => assert.fail(`cannot run on the kernel under CI: ${missing}`))
    : test(name, { skip: missing ?? false }, fn);

/** Every file and folder under `dir`: its type, mode, size, mtime and bytes. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    const st = statSync(d);
    out[d] = `dir ${st.mode.toString(8)} ${st.mtimeMs}`;
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out[p] = `file ${s.mode.toString(8)} ${s.mtimeMs} ${readFileSync(p).toString("hex")}`;
    }
  };
  walk(dir);
  return out;
}

/** A canary folder in the machine's temp directory: a file, and a folder holding another. */
function makeCanary(): { dir: string; targets: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "daxlease-canary-"));
  writeFileSync(join(dir, "canary"), randomBytes(64));
  mkdirSync(join(dir, "folder"));
  writeFileSync(join(dir, "folder", "inside"), randomBytes(32));
  return { dir, targets: [join(dir, "canary"), join(dir, "folder"), join(dir, "folder", "inside"), join(dir, "new")] };
}

const MOUNTS = ["/mnt/s", "/mnt/e", "/mnt/x"];
const HEADER = `@scenario hostile
@fs /mnt/s type=tmpfs
@fs /mnt/e type=ext4
@fs /mnt/x type=xfs
@file /mnt/s/f size=10
@proc R
@proc U uid=1000
`;

/** Spellings of an absolute target: as is, and `..` chains from each mount (with `.` and `//` thrown in). */
function spellings(target: string): string[] {
  const rest = target.slice(1);
  const out = [target, `//${rest}/`];
  for (const m of MOUNTS) out.push(`${m}/../../${rest}`, `${m}/${"../".repeat(12)}${rest}`, `${m}/./..//.././${rest}`);
  return out;
}

/** Relative spellings, for openat from a descriptor of /mnt/s. */
function relative(target: string): string[] {
  return [`../../${target.slice(1)}`, `${"../".repeat(9)}${target.slice(1)}`];
}

/**
 * One step per call that takes a path (the call table says which), with the path as a
 * placeholder `P`: each is parsed with a harmless path, then given the hostile one.
 */
const STEPS: { call: string; line: string; rel?: boolean }[] = [
  { call: "open", line: `open(P, O_RDWR|O_CREAT, 0644)` },
  { call: "open", line: `open(P, O_WRONLY|O_TRUNC)` },
  { call: "open", line: `open(P, O_RDONLY)` },
  { call: "open", line: `open(P, O_RDONLY|O_DIRECTORY)` },
  { call: "open", line: `open(P, O_WRONLY|O_CREAT|O_EXCL, 0600)` },
  { call: "openat", line: `openat(AT_FDCWD, P, O_RDWR|O_CREAT, 0644)` },
  { call: "openat", line: `openat(3, P, O_RDWR|O_CREAT, 0644)`, rel: true },
  { call: "openat", line: `openat(3, P, O_RDONLY)`, rel: true },
  { call: "truncate", line: `truncate(P, 0)` },
  { call: "unlink", line: `unlink(P)` },
  { call: "rename", line: `rename(P, "/mnt/s/f")` },
  { call: "rename", line: `rename("/mnt/s/f", P)` },
  { call: "cat", line: `cat(P)` },
  { call: "lsof", line: `lsof(P)` },
  { call: "revoke_file", line: `revoke_file(P)` },
];

test("the step table covers every call of the call table that takes a path", () => {
  const withPath = Object.entries(CALLS).filter(([, c]) => c.args.includes("path")).map(([n]) => n).sort();
  assert.deepEqual([...new Set(STEPS.map((s) => s.call))].sort(), withPath);
});

/** A harmless path the parser takes for the call (cat reads /proc files only). */
function placeholder(line: string): string {
  return line.startsWith("cat(") ? "/proc/placeholder" : "/mnt/s/placeholder";
}

/** The scenario for `steps`, each path placeholder replaced after parsing. */
function crafted(steps: { proc: string; line: string; path: string }[]): ReturnType<typeof parseScenario> {
  const body = steps.map((s) => `${s.proc}: ${s.line.replace("P", JSON.stringify(placeholder(s.line)))}`).join("\n");
  const sc = parseScenario(`${HEADER}R: open("/mnt/s", O_RDONLY|O_DIRECTORY) = 3\nU: open("/mnt/s", O_RDONLY|O_DIRECTORY) = 3\n${body}\n`, "hostile.scn");
  sc.steps.slice(2).forEach((st, i) => {
    if (st.k !== "call") return;
    for (const a of st.args) {
      if (a.k !== "str" || !a.v.endsWith("/placeholder")) continue;
      st.text = st.text.replace(a.text, JSON.stringify(steps[i]!.path));
      a.v = steps[i]!.path;
      a.text = JSON.stringify(a.v);
    }
  });
  return sc;
}

function cases(targets: string[], kernel: boolean) {
  const out: { proc: string; line: string; path: string }[] = [];
  for (const st of STEPS) {
    // cat reads only /proc files on the kernel (the driver reads /proc/locks itself), lsof is the model's.
    if (kernel === (st.call === "cat" || st.call === "lsof" || st.call === "revoke_file")) continue;
    for (const t of targets) for (const p of st.rel ? relative(t) : spellings(t)) for (const proc of ["R", "U"]) out.push({ proc, line: st.line, path: p });
  }
  return out;
}

test("the parser refuses every hostile path, saying where", () => {
  const { dir, targets } = makeCanary();
  try {
    for (const st of STEPS) {
      for (const t of targets) {
        for (const p of st.rel ? relative(t) : spellings(t)) {
          const text = `${HEADER}R: ${st.line.replace("P", JSON.stringify(p))}\n`;
          const refused = (e: unknown) => e instanceof ScriptError && /^h\.scn:8:\d+: .*(outside every @fs|cat reads \/proc files only)/.test(e.message);
          assert.throws(() => parseScenario(text, "h.scn"), refused, `${st.line} ${p}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the model answers every hostile path with an error, and never reaches the machine", () => {
  const { dir, targets } = makeCanary();
  try {
    const before = snapshot(dir);
    const r = runOnModel(crafted(cases(targets, false).concat(cases(targets, true)))).report;
    // An error for each call; lsof lists nothing open there.
    const wrong = r.steps.slice(2).filter((s) => !/^-1 E[A-Z]+$/.test(s.actual ?? "") && !(s.step.startsWith("lsof(") && s.actual === ""));
    assert.deepEqual(wrong.map((s) => `${s.line}: ${s.step} = ${s.actual}`), []);
    assert.deepEqual(snapshot(dir), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

kernelTest("hostile paths fail inside the run's own tree: model and kernel agree, the canary is untouched", async () => {
  const { dir, targets } = makeCanary();
  try {
    const before = snapshot(dir);
    const sc = crafted(cases(targets, true));
    const k = await runOnKernel(sc, { timeoutMs: 120_000 }); // some 900 steps
    assert.equal(k.skipped, undefined, k.skipped);
    assert.deepEqual(snapshot(dir), before, "the canary changed");
    assert.deepEqual(diffReports(runOnModel(sc).report, k), []);
    const ran = k.steps.slice(2);
    assert.equal(ran.length, cases(targets, true).length);
    assert.deepEqual(ran.filter((s) => !/^-1 E[A-Z]+$/.test(s.actual ?? "")).map((s) => `${s.line}: ${s.actual}`), []);
    // cat and lsof never hand a path to the kernel: the oracle refuses them.
    const other = await runOnKernel(crafted(cases(targets, false).slice(0, 1)));
    assert.match(other.skipped ?? "", /cat\(|model-only/);
    assert.deepEqual(snapshot(dir), before, "the canary changed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a NUL byte in a path is a script error pointing at it", () => {
  const at = (line: string) => {
    try { parseScenario(`${HEADER}${line}\n`, "n.scn"); return "parsed"; } catch (e) { return e instanceof ScriptError ? e.message : String(e); }
  };
  assert.equal(at(`R: open("/mnt/s/f\\0/../../etc", O_RDONLY)`), "n.scn:8:18: a path cannot hold a NUL byte");
  assert.equal(at(`R: rename("/mnt/s/f", "/mnt/s/\\x41\\000")`), "n.scn:8:35: a path cannot hold a NUL byte");
  assert.equal(at(`R: unlink("/mnt/s/f\\n")`), "parsed");
});

kernelTest("F_SETOWN aimed at a process outside the run is ESRCH on both, and a lease break signals nobody there", async () => {
  // A canary process of the machine, in a process group of its own; without the run's PID
  // namespace, its pid would be a valid owner and the break's SIGIO would kill it. The
  // parser takes only process names and 0 for F_SETOWN: the pids are put in afterwards.
  const canary = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
  try {
    const pid = canary.pid!;
    const sc = parseScenario(`@scenario setown-outside
@sysctl fs.lease-break-time=1
@fs /mnt/s type=tmpfs
@file /mnt/s/f
@proc H
@proc B
H: open("/mnt/s/f", O_RDONLY) = 3
H: fcntl(3, F_SETOWN, 0) = -1 ESRCH
H: fcntl(3, F_SETOWN, 0) = -1 ESRCH
H: fcntl(3, F_SETLEASE, F_RDLCK) = 0
H: fcntl(3, F_GETOWN) = H
B: open("/mnt/s/f", O_WRONLY) ...
H: --- SIGIO ---
H: close(3) = 0
B: <... open resumed> = 3
`, "setown.scn");
    [pid, -pid].forEach((v, i) => {
      const st = sc.steps[1 + i]!;
      if (st.k === "call") { st.args[2] = { k: "num", v, text: String(v), col: st.args[2]!.col }; st.text = `fcntl(3, F_SETOWN, ${v})`; }
    });
    const m = runOnModel(sc).report;
    const k = await runOnKernel(sc);
    assert.equal(k.skipped, undefined, k.skipped);
    assert.deepEqual(diffReports(m, k), []);
    assert.equal(k.ok, true, JSON.stringify(k.steps.filter((s) => !s.ok)));
    assert.equal(canary.exitCode === null && canary.signalCode === null, true, "the canary process lives");
  } finally {
    canary.kill("SIGKILL");
  }
});
