// npm run bench: figures measured in this one run (no timing lives in the tests).
import { performance } from "node:perf_hooks";
import { parseScenario } from "../src/scenario/parse.js";
import { boot } from "../src/kernel/boot.js";
import { policyNamed } from "../src/policy/registry.js";
import { runOnModel } from "../src/run/model.js";
import { syscall, type SysArg } from "../src/kernel/entry.js";
import { cloneState, hashState } from "../src/kernel/snapshot.js";
import * as U from "../src/kernel/include/uapi.js";
import { ETXTBSY } from "../src/kernel/include/errno.js";
import { readFileSync } from "node:fs";
import { checkScenario, type CheckReport } from "../src/explore/check.js";

const sc = parseScenario(`@scenario bench
@fs /mnt/t type=ext4
@file /mnt/t/a size=8192 uid=1000
@file /mnt/t/b size=8192 uid=1000
@proc P uid=1000
@proc Q uid=1000
@proc R uid=1000
@proc S uid=1000
`, "bench.scn");

/** A mixed round of 16 calls by 4 processes: leases set, broken without blocking, read, written, dropped. */
const ROUND: [number, string, SysArg[]][] = [
  [0, "open", ["/mnt/t/a", U.O_RDONLY, 0]],
  [0, "fcntl", [3, U.F_SETLEASE, U.F_RDLCK]],
  [1, "open", ["/mnt/t/a", U.O_RDONLY, 0]],
  [1, "pread", [3, "", 16, 0]],
  [2, "open", ["/mnt/t/a", U.O_WRONLY | U.O_NONBLOCK, 0]],
  [0, "fcntl", [3, U.F_GETLEASE, 0]],
  [0, "fcntl", [3, U.F_SETLEASE, U.F_UNLCK]],
  [2, "open", ["/mnt/t/b", U.O_RDWR, 0]],
  [2, "pwrite", [3, "hello", 5, 100]],
  [3, "open", ["/mnt/t/b", U.O_RDONLY | U.O_NONBLOCK, 0]],
  [3, "fallocate", [3, 0, 0, 4096]],
  [2, "ftruncate", [3, 8192]],
  [0, "close", [3]],
  [1, "close", [3]],
  [2, "close", [3]],
  [3, "close", [3]],
];

function syscallsPerSecond(): number {
  const s = boot(sc, policyNamed("linux"));
  const procs = s.procs;
  const rounds = 30_000;
  for (let i = 0; i < 2000; i++) for (const [p, n, a] of ROUND) syscall(s, procs[p]!, n, a);
  procs[0]!.sigq.length = 0;
  const us = median(() => {
    for (let i = 0; i < rounds; i++) {
      for (const [p, n, a] of ROUND) syscall(s, procs[p]!, n, a);
      procs[0]!.sigq.length = 0;
    }
  }, rounds * ROUND.length);
  return 1e6 / us;
}

function copyHashMicros(): { copy: number; hash: number; both: number; json: number } {
  // The state of a 4-process scenario mid-way: open files, a lease being broken, a sleeper.
  const { state } = runOnModel(parseScenario(`@scenario four
@fs /mnt/t type=ext4
@file /mnt/t/a size=8192 uid=1000
@file /mnt/t/b size=4096 uid=1000
@proc P uid=1000
@proc Q uid=1000
@proc R uid=1000
@proc S uid=1000
P: open("/mnt/t/a", O_RDONLY) = 3
P: fcntl(3, F_SETLEASE, F_WRLCK) = 0
Q: open("/mnt/t/a", O_RDONLY) ...
R: open("/mnt/t/b", O_RDWR) = 3
R: pwrite(3, "hello", 5, 0) = 5
S: open("/mnt/t/b", O_RDONLY) = 3
S: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0)
`, "four.scn"));
  const n = 30_000;
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += hashState(cloneState(state)).length;
  const copy = median(() => { for (let i = 0; i < n; i++) sink += cloneState(state).procs.length; }, n);
  const hash = median(() => { for (let i = 0; i < n; i++) sink += hashState(state).length; }, n);
  const both = median(() => { for (let i = 0; i < n; i++) sink += hashState(cloneState(state)).length; }, n);
  const json = median(() => { for (let i = 0; i < n / 10; i++) sink += JSON.stringify(state).length; }, n / 10);
  if (sink === 0) console.log("");
  return { copy, hash, both, json };
}

const sps = syscallsPerSecond();
const ch = copyHashMicros();
console.log(`simulated syscalls per second (mixed, 4 processes): ${Math.round(sps).toLocaleString("en")}  (${(sps / 1e6).toFixed(2)}x the 1,000,000/s aim)`);
console.log(`copy of a 4-process state:          ${ch.copy.toFixed(3)} µs`);
console.log(`hash of a 4-process state:          ${ch.hash.toFixed(3)} µs`);
console.log(`copy + hash:                        ${ch.both.toFixed(3)} µs  (${(ch.both / 2).toFixed(2)}x the 2 µs budget)`);
console.log(`for scale, JSON.stringify of it:    ${ch.json.toFixed(3)} µs  (copy + hash is ${(ch.json / ch.both).toFixed(1)}x cheaper)`);

/** The median over 7 rounds of `round`, in µs per operation: one slow round (GC, another process) does not decide. */
function median(round: () => void, opsPerRound: number): number {
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    round();
    times.push(((performance.now() - t0) * 1000) / opsPerRound);
  }
  times.sort((a, b) => a - b);
  return times[3]!;
}

/**
 * Truncate/punch over a DAX file with P pinned ranges (one MR of one page each, every
 * other page pinned): the layout check must not walk the pins, so the cost should barely grow with P.
 */
function punchCost(P: number): { punch: number; refused: number } {
  const pages = 2 * P + 8;
  const text = `@scenario pins
@fs /mnt/pmem type=xfs dax=always size=${(pages + 64) * 4096}
@file /mnt/pmem/a size=${pages * 4096} uid=1000
@proc A uid=1000
@proc B uid=1000
`;
  const s = boot(parseScenario(text, "pins.scn"), policyNamed("rfc-v1"));
  const [A, B] = [s.procs[0]!, s.procs[1]!];
  syscall(s, A, "open", ["/mnt/pmem/a", U.O_RDWR, 0]);
  syscall(s, A, "fcntl", [3, U.F_SETLEASE, U.F_LAYOUT]);
  const base = syscall(s, A, "mmap", [0, pages * 4096, U.PROT_READ | U.PROT_WRITE, U.MAP_SHARED, 3, 0]).ret;
  syscall(s, A, "open", ["/dev/infiniband/uverbs0", U.O_RDWR, 0]);
  const pd = syscall(s, A, "ibv_alloc_pd", [4]).ret;
  for (let i = 0; i < P; i++) syscall(s, A, "ibv_reg_mr", [pd, base + 2 * i * 4096, 4096, 1]);
  syscall(s, A, "fcntl", [3, U.F_SETLEASE, U.F_UNLCK]);
  syscall(s, B, "open", ["/mnt/pmem/a", U.O_RDWR, 0]);
  const reps = 500;
  const PUNCH = U.FALLOC_FL_PUNCH_HOLE | U.FALLOC_FL_KEEP_SIZE;
  // An unpinned page in the middle (punched, then allocated again), and a pinned one (refused).
  const mid = (2 * Math.floor(P / 2) + 1) * 4096;
  const punch = median(() => {
    for (let i = 0; i < reps; i++) {
      if (syscall(s, B, "fallocate", [3, PUNCH, mid, 4096]).ret !== 0) throw new Error("punch refused");
      syscall(s, B, "fallocate", [3, 0, mid, 4096]);
    }
  }, reps);
  const refused = median(() => {
    for (let i = 0; i < reps; i++) if (syscall(s, B, "truncate", ["/mnt/pmem/a", mid - 4096]).ret !== -ETXTBSY) throw new Error("truncate not refused");
  }, reps);
  return { punch, refused };
}

const sizes = [100, 1000, 10_000, 100_000, 1_000_000];
punchCost(100); // warm-up: the first measurement would otherwise include compilation
const costs = sizes.map((P) => ({ P, ...punchCost(P) }));
console.log("hole punch (unpinned page) and truncate (refused: pinned pages) on a DAX file with P pinned ranges, rfc-v1:");
for (const c of costs) console.log(`  P = ${String(c.P).padStart(9)}: punch+refill ${c.punch.toFixed(2)} µs, refused truncate ${c.refused.toFixed(2)} µs`);
const first = costs[0]!, last = costs[costs.length - 1]!;
console.log(`  P grew ${last.P / first.P}x; punch cost grew ${(last.punch / first.punch).toFixed(2)}x, refused truncate ${(last.refused / first.refused).toFixed(2)}x`);

/**
 * Partial-order reduction: the canonical case and its two- and three-app variants
 * (bench/scripts/), each under its own policy, checked with and without it: the states, and
 * the CPU time of the whole check (with it: the reduced search and the plain search that
 * confirms the shortest runs). After a warm-up (the first checks of a run pay for the JIT),
 * the median of three, but one each for the three apps.
 */
function porFigures() {
  const files = [new URL("../../scenarios/explore/rdma-truncate.scn", import.meta.url).pathname,
    ...["rdma-truncate-2apps.scn", "rdma-truncate-3apps.scn"].map((f) => new URL(`../../bench/scripts/${f}`, import.meta.url).pathname)];
  const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
  const timed = (reps: number, f: () => CheckReport) => {
    const runs = Array.from({ length: reps }, () => { const t0 = cpu(); const r = f(); return { r, s: cpu() - t0 }; });
    runs.sort((a, b) => a.s - b.s);
    return runs[Math.floor(reps / 2)]!;
  };
  const n = (x: number) => x.toLocaleString("en");
  const scs = files.map((file) => parseScenario(readFileSync(file, "utf8"), file));
  for (const por of [true, false]) checkScenario(scs[1]!, scs[1]!.policy, { por });
  console.log("partial-order reduction (check, breadth first, one thread; CPU seconds; the same verdicts and shortest runs either way):");
  console.log(`  ${"script".padEnd(22)} ${"policy".padEnd(8)} ${"states".padStart(9)} ${"--no-por".padStart(9)} ${"saved".padStart(6)}  ${"confirm".padStart(7)}  ${"CPU s".padStart(6)} ${"--no-por".padStart(8)}`);
  scs.forEach((sc, k) => {
    const reps = k < 2 ? 3 : 1;
    const on = timed(reps, () => checkScenario(sc, sc.policy, { por: true }));
    const off = timed(reps, () => checkScenario(sc, sc.policy, { por: false }));
    const same = JSON.stringify(on.r.verdicts) === JSON.stringify(off.r.verdicts) &&
      on.r.counterexamples.every((c) => off.r.counterexamples.find((d) => d.property === c.property)?.length === c.length);
    console.log(`  ${sc.name.padEnd(22)} ${sc.policy.padEnd(8)} ${n(on.r.states).padStart(9)} ${n(off.r.states).padStart(9)} ${`${Math.round(100 * (1 - on.r.states / off.r.states))}%`.padStart(6)}  ${n(on.r.confirm?.states ?? 0).padStart(7)}  ${on.s.toFixed(2).padStart(6)} ${off.s.toFixed(2).padStart(8)}${same ? "" : "  DIFFERENT ANSWERS"}`);
  });
  console.log("  (confirm: states of the plain breadth-first search, bounded by the longest counterexample, that finds the shortest runs)");
}

porFigures();
