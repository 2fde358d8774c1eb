// npm run bench:peers (and the end of npm run bench): daxlease's explorer and SPIN side by side
// on the canonical case of the thread (issue 9, section 4), in one run on this machine.
// For F pages and 1-2 RDMA apps: SPIN on bench/peers/rdma_truncate.pml (spin -a and gcc timed
// apart, then pan), and `daxlease check` on the same script (bench/peers/script.ts), each
// daxlease search in a child process of its own with a CPU budget. CPU time is user+sys.
//   node dist/bench/peers.js [--budget SECONDS] [--pages 4,8,16] [--apps 1,2]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { spinMissing, spinVersion, spinGenerate, panBuild, panRun, cpuOf, type PanReport } from "./peers/spin.js";
import { project, quotient } from "./peers/project.js";
import type { ChildResult } from "./peers/child.js";

interface Options { budget: number; pages: number[]; apps: number[]; heapMB: number }

function options(argv: string[]): Options {
  const o: Options = { budget: 60, pages: [4, 8, 16], apps: [1, 2], heapMB: 4000 };
  const list = (v: string | undefined, name: string, max: number) => {
    const xs = (v ?? "").split(",").map(Number);
    if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1 || x > max)) throw new Error(`--${name} takes numbers from 1 to ${max}, comma-separated`);
    return xs;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!, v = argv[i + 1];
    if (a === "--budget") { o.budget = Number(v); i++; if (!(o.budget > 0)) throw new Error("--budget takes seconds of CPU"); }
    else if (a === "--pages") { o.pages = list(v, "pages", 64); i++; }
    else if (a === "--apps") { o.apps = list(v, "apps", 3); i++; }
    else throw new Error(`unknown option ${a}: use --budget SECONDS, --pages 4,8,16, --apps 1,2`);
  }
  return o;
}

/** The two SPIN runs: as SPIN users run it (partial-order reduction on), and over the full space daxlease explores. */
const CONFIGS = [
  { name: "SPIN", flags: ["-DSAFETY"] },
  { name: "SPIN, no POR", flags: ["-DSAFETY", "-DNOREDUCE"] },
] as const;

interface SpinCase { name: string; compile: number; pan: PanReport }
/** One case: SPIN with and without its POR; daxlease with (daxPor, as `check` runs) and without (dax, the full space). */
interface Case { F: number; apps: number; spin: SpinCase[]; dax: ChildResult | { error: string }; daxPor: ChildResult | { error: string } }

const fmt = (n: number) => Math.round(n).toLocaleString("en");
const secs = (s: number) => (s < 0.01 ? s.toFixed(4) : s < 10 ? s.toFixed(2) : s.toFixed(1));
const rate = (states: number, s: number) => (s <= 0 ? "-" : states / s >= 1e6 ? `${(states / s / 1e6).toFixed(2)} M` : `${(states / s / 1e3).toFixed(1)} k`);

function runSpin(F: number, apps: number): SpinCase[] {
  const dir = mkdtempSync(join(tmpdir(), "daxlease-spin-"));
  try {
    const gen = spinGenerate(dir, F, apps);
    if (!gen.ok) throw new Error(`spin -a failed:\n${gen.out}`);
    return CONFIGS.map((c, i) => {
      const bin = `pan${i}`;
      const cc = panBuild(dir, bin, [...c.flags]);
      if (!cc.ok) throw new Error(`gcc of pan.c failed:\n${cc.out}`);
      return { name: c.name, compile: cpuOf(gen) + cpuOf(cc), pan: panRun(dir, bin, panW(apps)) };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runDaxlease(F: number, apps: number, o: Options, por: boolean): ChildResult | { error: string } {
  const child = new URL("./peers/child.js", import.meta.url).pathname;
  // A backstop in wall-clock time: the child stops itself at its CPU budget.
  const r = spawnSync(process.execPath, [`--max-old-space-size=${o.heapMB + 1024}`, child, String(F), String(apps), String(o.budget), String(o.heapMB), por ? "1" : "0"],
    { encoding: "utf8", timeout: (o.budget * 4 + 120) * 1000, maxBuffer: 1 << 24 });
  const line = r.stdout?.trim().split("\n").pop() ?? "";
  if (r.status === 0 && line.startsWith("{")) return JSON.parse(line) as ChildResult;
  return { error: r.error?.message ?? (r.stderr || `exit ${r.status}`).trim().split("\n").slice(-3).join(" / ") };
}

/** pan's hash table: 2^w slots, sized for the space (SPIN's default, -w24, is 128 MB, which a small search spends its time filling). */
const panW = (apps: number) => (apps === 1 ? 18 : apps === 2 ? 22 : 26);

const HEAD = ` F apps  checker        finished                  states   transitions   CPU s  wall s  states/s  B/state   peak RSS`;

function row(c: Case, who: string, finished: string, states: number, trans: number, cpu: number, wall: number, bps: string, rss: number | null, extra = "") {
  return `${String(c.F).padStart(2)} ${String(c.apps).padStart(4)}  ${who.padEnd(13)}  ${finished.padEnd(22)} ${fmt(states).padStart(9)} ${fmt(trans).padStart(13)} ${secs(cpu).padStart(7)} ${secs(wall).padStart(7)} ${rate(states, cpu).padStart(9)} ${bps.padStart(8)} ${(rss === null ? "-" : `${fmt(rss)} MB`).padStart(10)}${extra}`;
}

function spinRow(c: Case, s: SpinCase): string {
  const p = s.pan;
  const mean = p.run.runs === undefined ? "" : `, mean of ${p.run.runs} runs`;
  return row(c, s.name, p.complete ? "complete" : "INCOMPLETE", p.states, p.transitions, cpuOf(p.run), p.run.wall, fmt(p.bytesPerState), p.run.maxRssMB, `   (spin -a + gcc: ${secs(s.compile)} s${mean})`);
}

function daxRow(c: Case, o: Options, d: ChildResult | { error: string }, who: string): string {
  if ("error" in d) return `${String(c.F).padStart(2)} ${String(c.apps).padStart(4)}  ${who.padEnd(13)}  failed: ${d.error}`;
  const finished = d.complete ? "complete" : d.stopped === "budget" ? `no: ${o.budget} s budget` : d.stopped === "memory" ? `no: ${o.heapMB} MB heap` : `no: ${d.stopped}`;
  return row(c, who, finished, d.states, d.transitions, d.cpu, d.wall, `${fmt(d.storedBytesPerState)}/${fmt((d.rssGrowthMB * 2 ** 20) / d.states)}`, d.maxRssMB);
}

function x(r: number): string {
  return r >= 100 ? `${Math.round(r)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

const RHEAD = ` F apps   time to verdict      states/s     B/state stored   B/state all in   states (daxlease / SPIN)`;

/** The ratios daxlease/SPIN against the issue's aims: time no worse than SPIN's, states/s at least half, bytes/state within 2x. */
function ratioRow(c: Case, o: Options): string | null {
  const d = c.dax, q = c.daxPor;
  if ("error" in d || "error" in q || c.spin.length < 2) return null;
  const [spin, full] = c.spin as [SpinCase, SpinCase];
  const sCpu = Math.max(cpuOf(spin.pan.run), 0.005);
  const perS = (p: PanReport) => p.states / Math.max(cpuOf(p.run), 0.005);
  // Time to a verdict: each checker as its users run it (both with their partial-order reduction).
  const time = q.complete ? x(q.cpu / sCpu) : `> ${x(o.budget / sCpu)}`;
  const space = d.complete ? x(d.states / full.pan.states) : `> ${x(d.states / full.pan.states)} (unfinished)`;
  return `${String(c.F).padStart(2)} ${String(c.apps).padStart(4)}   ${time.padEnd(20)} ${x(d.states / d.cpu / perS(full.pan)).padEnd(12)} ${x(d.storedBytesPerState / full.pan.bytesPerState).padEnd(16)} ` +
    `${x((d.rssGrowthMB * 2 ** 20) / d.states / full.pan.bytesPerState).padEnd(16)} ${space}`;
}

/** The properties SPIN's model checks: do the verdicts agree? */
function verdictLine(c: Case): string | null {
  const d = c.dax;
  if ("error" in d || c.spin.length === 0) return null;
  const sv = c.spin[0]!.pan.verdicts;
  const show = (v: Record<string, string>) => Object.entries(v).map(([p, x]) => `${p} ${x}`).join(", ");
  const dv = Object.fromEntries(Object.keys(sv).map((p) => [p, d.verdicts[p] ?? "?"]));
  const same = c.spin.every((s) => show(s.pan.verdicts) === show(sv)) && show(dv) === show(sv);
  const rest = Object.entries(d.verdicts).filter(([p]) => !(p in sv)).map(([p, v]) => `${p} ${v}`).join(", ");
  const sh = Object.entries(d.shortest).map(([p, n]) => `${p} ${n}`).join(", ");
  return `  F=${c.F}, ${c.apps} app${c.apps > 1 ? "s" : ""}: SPIN: ${show(sv)}; daxlease: ${same ? "the same" : show(dv)}` +
    `${d.complete ? "" : " (search unfinished)"}; daxlease also: ${rest}${sh ? `; shortest runs (steps): ${sh}` : ""}`;
}

function main() {
  let o: Options;
  try { o = options(process.argv.slice(2)); } catch (e) { console.error(`bench/peers: ${(e as Error).message}`); process.exit(2); }
  const missing = spinMissing();
  console.log(`\nSide by side with SPIN: the canonical case, rfc-v1 (bench/peers/rdma_truncate.pml; the same script for daxlease), ${cpus().length} cores`);
  if (missing !== null) console.log(`SPIN skipped: ${missing}.`);
  else console.log(`${spinVersion()}; pan: gcc -O2 -DSAFETY (exact state storage), -w18/-w22 hash table for 1/2 apps, -c0 (errors counted, the search goes to the end)`);
  console.log(`daxlease: check --bfs with 64-bit hashes of states, each search in a process of its own, budget ${o.budget} s CPU. CPU s is user+sys.`);
  console.log(`B/state: SPIN's memory for states per state; daxlease's visited set and graph per state / its whole memory growth per state.`);
  console.log(HEAD);
  const cases: Case[] = [];
  for (const apps of o.apps) {
    for (const F of o.pages) {
      const c: Case = { F, apps, spin: missing === null ? runSpin(F, apps) : [], dax: { error: "not run" }, daxPor: { error: "not run" } };
      for (const s of c.spin) console.log(spinRow(c, s));
      c.daxPor = runDaxlease(F, apps, o, true);
      console.log(daxRow(c, o, c.daxPor, "daxlease"));
      c.dax = runDaxlease(F, apps, o, false);
      console.log(daxRow(c, o, c.dax, "  --no-por"));
      cases.push(c);
    }
  }
  if (missing === null) {
    console.log(`\nRatios daxlease/SPIN. Aims: time to a complete verdict <= 1x (each with its partial-order reduction; SPIN's compile apart), states/s >= 0.5x, B/state <= 2x`);
    console.log(`(states/s and B/state: daxlease --no-por against SPIN without POR, over the same space):`);
    console.log(RHEAD);
    for (const c of cases) { const r = ratioRow(c, o); if (r !== null) console.log(r); }
    console.log(`\nVerdicts (SPIN's model checks three properties):`);
    for (const c of cases) { const l = verdictLine(c); if (l !== null) console.log(l); }
  }
  sameModel(o, cases);
  whyLarger(o, cases);
}

/** Is the Promela model the same script? daxlease's space merged on its variables against SPIN's without POR. */
function sameModel(o: Options, cases: Case[]) {
  const F = o.pages[0]!;
  const lines: string[] = [];
  for (const apps of o.apps.filter((a) => a <= 2)) {
    const n = quotient(F, apps);
    const full = cases.find((c) => c.F === F && c.apps === apps)?.spin[1]?.pan.states;
    const cmp = full === undefined ? "" : full === n + 1 ? `: SPIN's ${fmt(full)} without POR, less its boot state` : `; SPIN without POR stores ${fmt(full)} (its boot state included): THE MODELS DIFFER`;
    lines.push(`  ${apps} app${apps > 1 ? "s" : ""}, F=${F}: ${fmt(n)} states${cmp}`);
  }
  console.log(`\nThe same script? daxlease's search with states merged when they agree on the Promela model's variables:`);
  for (const l of lines) console.log(l);
}

/**
 * Where daxlease's space is larger: its states projected onto the Promela model's variables
 * (for one app, where the search is small), and what each detail the model leaves out adds.
 */
function whyLarger(o: Options, cases: Case[]) {
  if (!o.apps.includes(1)) return;
  console.log(`\nWhere daxlease's space differs (one app: its states projected onto the Promela model's variables):`);
  const seen: { F: number[]; text: string[] }[] = [];
  for (const F of o.pages) {
    const p = project(F, 1);
    if (p === null) continue;
    const full = cases.find((c) => c.F === F && c.apps === 1)?.spin[1]?.pan.states;
    const same = full === undefined ? "" : full === p.promela + 1 ? ` (SPIN without POR: ${fmt(full)}, its boot state included)` : full > p.promela + 1
      // The same script (sameModel checks it); daxlease's state identity forgets what nothing reads
      // again (a dead app's $names, a pending-signal count in user space), which SPIN keeps.
      ? ` (SPIN without POR: ${fmt(full)}: daxlease's state identity merges states that differ only in values nothing reads again, such as a dead app's $names)`
      : ` (SPIN without POR: ${fmt(full)}: THE MODELS DIFFER)`;
    const text = [`${fmt(p.states)} daxlease states project onto ${fmt(p.promela)} Promela states${same}: ${x(p.states / p.promela)}, from`];
    const parts = p.details.filter((d) => d.states > p.promela).sort((a, b) => b.states - a.states);
    for (const d of parts) text.push(`  ${x(d.states / p.promela).padStart(6)}  ${d.name}`);
    if (parts.length === 0) text.push(`  nothing (the two spaces are the same)`);
    text.push(`  (all of them together: ${fmt(p.together)} states${p.together === p.states ? ", all of daxlease's" : `; daxlease has ${fmt(p.states)}: a detail is missing from this list`})`);
    const twin = seen.find((g) => g.text.join("\n") === text.join("\n"));
    if (twin !== undefined) twin.F.push(F);
    else seen.push({ F: [F], text });
  }
  for (const g of seen) {
    console.log(`  F=${g.F.join(", ")}: ${g.text[0]}`);
    for (const l of g.text.slice(1)) console.log(`  ${l}`);
  }
}

main();
