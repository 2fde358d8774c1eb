// `daxlease check` and `daxlease verdict` on the command line: the contract's exit codes,
// its JSON, counterexample files that replay, script errors with their place.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { policyVariants } from "../src/policy/registry.js";

const BIN = new URL("../src/cli/bin.js", import.meta.url).pathname;
const ROOT = new URL("../../", import.meta.url).pathname;
const CANON = join(ROOT, "scenarios/explore/rdma-truncate.scn");
const dir = mkdtempSync(join(tmpdir(), "daxlease-check-"));

function cli(...args: string[]) {
  const env = { ...process.env };
  for (const k of ["CI", "NO_COLOR", "FORCE_COLOR", "TERM"]) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const NO_EXPECT = readFileSync(CANON, "utf8").replace(/^@expect.*$/gm, "");

test("check: 0 when the verdicts are as @expect says, 1 when a property fails, 4 when a bound stops it, 2 for a bad script", () => {
  const ok = cli("check", CANON);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /pinner-visible\s+fails\s+shortest run: 8 steps/);
  assert.match(ok.out, /complete, [\d,]+ states/);
  assert.match(ok.out, /P\(a state was missed\) < /);
  assert.equal(ok.err, "", "no progress when stderr is not a terminal");
  const fails = cli("check", file("noexp.scn", NO_EXPECT));
  assert.equal(fails.code, 1);
  const bounded = cli("check", "--policy", "sticky", "--max-states", "20", file("noexp2.scn", NO_EXPECT));
  assert.equal(bounded.code, 4);
  assert.match(bounded.out, /INCOMPLETE \(stopped by --max-states\)/);
  assert.match(bounded.out, /no-corruption\s+unknown/);
  const bad = cli("check", file("bad.scn", "@scenario b\n@proc A\n@any A: frob(1)\n"));
  assert.equal(bad.code, 2);
  assert.match(bad.err, /bad\.scn:3:9: unknown call frob\n$/);
  const opt = cli("check", "--max-states", "lots", CANON);
  assert.equal(opt.code, 2);
  assert.match(opt.err, /--max-states takes a whole number/);
});

test("check --json: one object per policy explored, as the contract has it", () => {
  const r = cli("check", "--json", "--policy", "rfc-v1", CANON);
  assert.equal(r.code, 0, r.err);
  const [o] = JSON.parse(r.out);
  for (const k of ["scenario", "policy", "complete", "states", "transitions", "depth", "seconds", "verdicts", "counterexamples"]) assert.ok(k in o, k);
  assert.equal(o.scenario, "rdma-truncate");
  assert.deepEqual(Object.keys(o.verdicts), ["no-corruption", "user-told", "pinner-visible", "recoverable", "no-innocent-hang"]);
  const c = o.counterexamples[0];
  assert.deepEqual(Object.keys(c), ["property", "length", "line", "detail", "script"]);
  const all = JSON.parse(cli("check", "--json", "--policy", "all", CANON).out);
  assert.equal(all.length, policyVariants().length);
});

test("check --out writes NAME.POLICY.PROPERTY.scn files that run replays, failing the same property", () => {
  const out = join(dir, "cx");
  cli("check", "--policy", "exclusive", "--out", out, "--mermaid", CANON);
  const files = readdirSync(out).sort();
  assert.ok(files.includes("rdma-truncate.exclusive.no-innocent-hang.scn"), files.join(" "));
  assert.ok(files.includes("rdma-truncate.exclusive.no-innocent-hang.mmd"));
  for (const f of files.filter((x) => x.endsWith(".scn"))) {
    const r = cli("run", "--policy", "exclusive", join(out, f));
    assert.equal(r.code, 0, `${f}\n${r.out}`);
    assert.match(r.out, new RegExp(`! ${f.split(".")[2]} fails`));
  }
  assert.match(readFileSync(join(out, "rdma-truncate.exclusive.no-innocent-hang.mmd"), "utf8"), /^sequenceDiagram\n/);
});

test("check --explain shows what each step changed", () => {
  const r = cli("check", "--explain", "--policy", "rfc-v1", CANON);
  assert.match(r.out, /A: ibv_reg_mr\(.*\) = \$mr\n(#   [+-] .*\n)*#   \+ MR 1 of A: 4 pages of \/mnt\/pmem\/a pinned/);
});

test("verdict: the matrix, with n/a where a policy refuses the setup and every variant a column", () => {
  const r = cli("verdict", CANON);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split("\n");
  assert.ok(lines.every((l) => l.length <= 120 && l === l.trimEnd()), "fits 120 columns, no trailing spaces");
  const row = lines.find((l) => l.startsWith("rdma-truncate"))!;
  assert.match(row, /^rdma-truncate\s+n\/a\s+V8 R9/);
  assert.match(lines[0]!, /st\/kil\s+st\/rev\s+st\/blk\s+st\/hld/);
  const json = JSON.parse(cli("verdict", "--json", CANON).out);
  assert.equal(json.length, policyVariants().length);
  assert.equal(json.find((x: { policy: string }) => x.policy === "linux").setupRefused, true);
});

test("check --workers 2: the same states, verdicts and counterexamples as one thread", () => {
  const strip = (out: string) => JSON.parse(out).map((r: { seconds: number }) => ({ ...r, seconds: 0 }));
  const one = cli("check", "--json", "--policy", "all", CANON);
  const two = cli("check", "--json", "--workers", "2", "--policy", "all", CANON);
  assert.equal(two.code, one.code);
  assert.deepEqual(strip(two.out), strip(one.out));
  assert.equal(cli("check", "--workers", "2", "--dfs", CANON).code, 2);
});

test("random walks split into shards run in separate processes merge into the verdict of one job", async () => {
  const { spawn } = await import("node:child_process");
  const args = ["check", "--random", "--walks", "90", "--seed", "3", "--json", "--policy", "all", CANON];
  const run = (extra: string[], out: string) => new Promise<void>((resolve, reject) => {
    const env = { ...process.env };
    delete env.FORCE_COLOR;
    const p = spawn(process.execPath, [BIN, ...args, ...extra], { cwd: ROOT, env });
    let text = "";
    p.stdout.on("data", (d) => { text += d; });
    p.on("close", (code) => { if (code === 2 || code === null) reject(new Error(`exit ${code}`)); else { writeFileSync(out, text); resolve(); } });
  });
  const shards = [0, 1, 2].map((i) => join(dir, `shard${i}.json`));
  await Promise.all(shards.map((f, i) => run(["--shard", `${i}/3`], f)));
  await run([], join(dir, "whole.json"));
  const merged = cli("verdict", "--merge", "--json", ...shards);
  const whole = cli("verdict", "--merge", "--json", join(dir, "whole.json"));
  assert.equal(merged.code, whole.code);
  const view = (out: string) => JSON.parse(out).map((r: { policy: string; verdicts: unknown; shortest: unknown; complete: boolean }) => [r.policy, r.verdicts, r.shortest, r.complete]);
  assert.deepEqual(view(merged.out), view(whole.out));
  for (const f of shards) assert.ok(JSON.parse(readFileSync(f, "utf8")).every((r: { shard: string }) => /^\d\/3$/.test(r.shard)));
  assert.equal(cli("check", "--shard", "1/3", CANON).code, 2, "a shard of an exhaustive search is refused");
  assert.equal(cli("check", "--random", "--shard", "3/3", CANON).code, 2);
  assert.equal(cli("verdict", "--merge", CANON).code, 2, "a script is not a report");
});
