// The fixture programs (test/fixtures/programs/*.c) traced with strace on this kernel, in
// the forms people capture. test/strace-record.test.ts traces them afresh; the logs in
// test/fixtures/strace/ were written by `node dist/test/strace-fixtures.js --write`
// (as root), so that the import tests run without strace.
//
// Each run is in a mount namespace of its own, with a tmpfs on /mnt and another on
// /mnt/pmem holding /mnt/pmem/a (8192 zero bytes): the logs name the same paths on
// every machine, and nothing is left mounted.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const PROGRAMS = join(ROOT, "test", "fixtures", "programs");
export const LOGS = join(ROOT, "test", "fixtures", "strace");
/** The --fs the logs need: /mnt/pmem is a tmpfs where they were traced. */
export const FS = "/mnt/pmem=tmpfs";

export interface Recording {
  /** A file name, or a directory for the per-process logs of -ff (`DIR/trace.PID`). */
  log: string;
  program: string;
  strace: string[];
  /** Capture strace's stderr (`[pid N]` prefixes, `strace: Process N attached`) instead of -o. */
  stderr?: boolean;
  perPid?: boolean;
}

const PAIR = ["sh", "-c", "/mnt/bin/lease_holder /mnt/pmem/a | { read x; /mnt/bin/lease_breaker /mnt/pmem/a; }"];
const COMMANDS: Record<string, string[]> = {
  "lease-pair": PAIR,
  "map-truncate": ["/mnt/bin/map_truncate", "/mnt/pmem/a"],
  "uring-register": ["/mnt/bin/uring_register", "/mnt/pmem/a"],
};

export const RECORDINGS: Recording[] = [
  { log: "lease-pair.f.strace", program: "lease-pair", strace: ["-f"] },
  { log: "lease-pair.tt-T-y.strace", program: "lease-pair", strace: ["-f", "-tt", "-T", "-y"] },
  { log: "lease-pair.stderr.strace", program: "lease-pair", strace: ["-f"], stderr: true },
  { log: "map-truncate.tt-T-y.strace", program: "map-truncate", strace: ["-f", "-tt", "-T", "-y"] },
  { log: "map-truncate.r.strace", program: "map-truncate", strace: ["-f", "-r"], stderr: true },
  { log: "map-truncate.ff", program: "map-truncate", strace: ["-ff", "-ttt"], perPid: true },
  { log: "uring-register.yy-Xverbose.strace", program: "uring-register", strace: ["-f", "-yy", "-X", "verbose"] },
  { log: "uring-register.Xraw.strace", program: "uring-register", strace: ["-f", "-X", "raw"] },
];

/** The steps of a script, without line references and sleeps, grouped by process (interleavings after the last wait may differ between runs). */
export function stepsByProc(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const l of text.split("\n")) {
    const m = /^([A-Za-z][A-Za-z0-9_]*): (.*?)(?:\s+#\s*\S+:\d+)?$/.exec(l);
    if (m === null) continue;
    (out[m[1]!] ??= []).push(m[2]!);
  }
  return out;
}

/** The import argument for a recording: the file, or DIR/trace for -ff. */
export function logArg(dir: string, r: Recording): string {
  return r.perPid ? join(dir, r.log, "trace") : join(dir, r.log);
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "/usr/bin:/bin").split(":").concat(["/usr/sbin", "/sbin"]).some((d) => d !== "" && existsSync(join(d, cmd)));
}

/** Why this machine cannot trace the fixtures, or null. */
export function cannotTrace(): string | null {
  if (process.platform !== "linux") return "tracing needs Linux";
  if (process.getuid?.() !== 0) return "tracing needs root (a mount namespace with tmpfs mounts)";
  for (const c of ["strace", "cc", "unshare", "mount"]) if (!onPath(c)) return `${c} not found (apt-get install strace gcc util-linux mount)`;
  return null;
}

/** Compiles the fixture programs into `bin`. */
function build(bin: string): void {
  for (const f of readdirSync(PROGRAMS).filter((n) => n.endsWith(".c")))
    execFileSync("cc", ["-O1", "-Wall", "-o", join(bin, f.slice(0, -2)), join(PROGRAMS, f)], { stdio: ["ignore", "ignore", "pipe"] });
}

/** Traces one recording into `out` (a file, or a directory for -ff). */
function trace(bin: string, r: Recording, out: string): void {
  const cmd = COMMANDS[r.program]!;
  if (r.perPid) mkdirSync(out, { recursive: true });
  const target = r.perPid ? join(out, "trace") : out;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const st = ["strace", ...r.strace, ...(r.stderr ? [] : ["-o", target]), "--", ...cmd].map(q).join(" ");
  const script = [
    "set -e",
    "mkdir -p /mnt",
    "mount -t tmpfs -o size=16M,mode=0755 daxlease /mnt",
    "mkdir /mnt/pmem /mnt/bin",
    "mount -t tmpfs -o size=16M,mode=0755 daxlease /mnt/pmem",
    `cp ${q(bin)}/* /mnt/bin/`,
    "head -c 8192 /dev/zero > /mnt/pmem/a",
    "cd /",
    r.stderr ? `${st} 2> ${q(target)} > /dev/null` : `${st} > /dev/null 2>&1`,
  ].join("\n");
  const res = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script], { encoding: "utf8", timeout: 30_000 });
  if (res.status !== 0) throw new Error(`tracing ${r.log} failed (${res.status ?? res.signal}): ${res.stderr}`);
}

/** Compiles the programs into a fresh directory; returns it (the caller removes it). */
export function prepare(): string {
  const dir = mkdtempSync(join(tmpdir(), "daxlease-trace-"));
  mkdirSync(join(dir, "bin"));
  build(join(dir, "bin"));
  return dir;
}

/** Traces every recording into `dir` (made by prepare). */
export function recordAll(dir: string): string {
  for (const r of RECORDINGS) trace(join(dir, "bin"), r, join(dir, r.log));
  return dir;
}

/** `--write`: replaces test/fixtures/strace with fresh logs of this machine. */
if (process.argv.includes("--write")) {
  const why = cannotTrace();
  if (why !== null) throw new Error(why);
  const dir = recordAll(prepare());
  rmSync(LOGS, { recursive: true, force: true });
  mkdirSync(LOGS, { recursive: true });
  for (const r of RECORDINGS) {
    const from = join(dir, r.log);
    if (r.perPid) {
      mkdirSync(join(LOGS, r.log));
      for (const f of readdirSync(from)) writeFileSync(join(LOGS, r.log, f), readFileSync(join(from, f)));
    } else writeFileSync(join(LOGS, r.log), readFileSync(from));
  }
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`wrote ${RECORDINGS.length} logs to ${LOGS}\n`);
}
