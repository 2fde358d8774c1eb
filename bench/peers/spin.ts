// SPIN on bench/peers/rdma_truncate.pml: `spin -a`, gcc, pan, each timed (CPU from
// /usr/bin/time when it is there), and pan's report read back.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

export const MODEL = new URL("../../../bench/peers/rdma_truncate.pml", import.meta.url).pathname;

/** A program run: its output, wall and CPU seconds (CPU null without /usr/bin/time), peak RSS; `runs` when timed as a mean. */
export interface Timed { ok: boolean; out: string; wall: number; cpu: number | null; maxRssMB: number | null; runs?: number }

export const cpuOf = (t: Timed) => t.cpu ?? t.wall;

const TIME = "/usr/bin/time";

function has(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Why SPIN cannot run here, or null. */
export function spinMissing(): string | null {
  const missing = ["spin", "gcc"].filter((c) => !has(c));
  return missing.length === 0 ? null : `${missing.join(" and ")} not installed (Debian: apt-get install ${missing.join(" ")})`;
}

export function spinVersion(): string {
  const v = spawnSync("spin", ["-V"], { encoding: "utf8" }).stdout.trim();
  const g = spawnSync("gcc", ["--version"], { encoding: "utf8" }).stdout.split("\n")[0]!.trim();
  return `${v.replace(/ --.*$/, "")}, ${g}`;
}

export function timed(cwd: string, cmd: string, args: string[]): Timed {
  const useTime = existsSync(TIME);
  const tf = join(cwd, "time.out");
  const t0 = performance.now();
  const r = useTime
    ? spawnSync(TIME, ["-f", "%U %S %M", "-o", tf, cmd, ...args], { cwd, encoding: "utf8", maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { cwd, encoding: "utf8", maxBuffer: 1 << 28 });
  const wall = (performance.now() - t0) / 1000;
  let cpu: number | null = null, maxRssMB: number | null = null;
  if (useTime && existsSync(tf)) {
    const last = readFileSync(tf, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
    if (last.length === 3 && last.every((x) => Number.isFinite(x))) { cpu = last[0]! + last[1]!; maxRssMB = last[2]! / 1024; }
  }
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, wall, cpu, maxRssMB };
}

/** `spin -a` of the model for F pages and `apps` apps, in `dir`. */
export function spinGenerate(dir: string, F: number, apps: number): Timed {
  copyFileSync(MODEL, join(dir, "rdma_truncate.pml"));
  return timed(dir, "spin", [`-DF=${F}`, `-DNAPPS=${apps}`, "-a", "rdma_truncate.pml"]);
}

/** gcc of pan.c with `flags` into `bin`. */
export function panBuild(dir: string, bin: string, flags: string[]): Timed {
  return timed(dir, "gcc", ["-O2", ...flags, "-o", bin, "pan.c"]);
}

export interface PanReport {
  complete: boolean;
  states: number;
  transitions: number;
  depth: number;
  errors: number;
  vectorBytes: number;
  /** pan's "actual memory usage for states" (its hash table slots apart), per state stored. */
  bytesPerState: number;
  totalMB: number;
  /** The three properties the model checks (the others are not modelled). */
  verdicts: Record<string, string>;
  run: Timed;
}

/**
 * Runs pan (-c0: every error counted, the search goes on to the end) with a hash table of
 * 2^w slots, and reads its report.
 */
export function panRun(dir: string, bin: string, w: number): PanReport {
  const args = ["-c0", `-w${w}`];
  const run = timed(dir, `./${bin}`, args);
  // A search shorter than the clock's 10 ms is timed over repeated runs (the mean).
  if (run.ok && cpuOf(run) < 0.2) {
    const reps: Timed[] = [];
    while (reps.length < 50 && reps.reduce((t, r) => t + cpuOf(r), 0) < 1) reps.push(timed(dir, `./${bin}`, args));
    run.cpu = run.cpu === null ? null : reps.reduce((t, r) => t + (r.cpu ?? 0), 0) / reps.length;
    run.wall = reps.reduce((t, r) => t + r.wall, 0) / reps.length;
    run.runs = reps.length;
  }
  const o = run.out;
  const num = (re: RegExp) => { const m = re.exec(o); return m ? Number(m[1]) : NaN; };
  const states = num(/([\d.e+]+) states, stored/);
  const violated = [...o.matchAll(/assertion violated (.*) \(at depth/g)].map((m) => m[1]!);
  const verdicts = {
    "no-corruption": violated.some((v) => /pins\[|owner\[/.test(v)) ? "fails" : "holds",
    "pinner-visible": violated.some((v) => /mr!=1/.test(v)) ? "fails" : "holds",
    "no-innocent-hang": violated.some((v) => /bwait/.test(v)) || /pan:\d+: invalid end state/.test(o) ? "fails" : "holds",
  };
  const complete = run.ok && /Full statespace search|Hash-Compact \d search/.test(o) && !/max search depth too small|out of memory/.test(o);
  return {
    complete, states, transitions: num(/([\d.e+]+) transitions \(= stored\+matched\)/), depth: num(/depth reached (\d+)/),
    errors: num(/errors: (\d+)/), vectorBytes: num(/State-vector (\d+) byte/),
    bytesPerState: (num(/([\d.]+)\s+actual memory usage for states/) * 2 ** 20) / states,
    totalMB: num(/([\d.]+)\s+total actual memory usage/), verdicts, run,
  };
}
