// The explorer: its reachable states against a naive reference search, its verdicts across
// search modes, the exploration syntax of the contract, and every counterexample it writes
// replayed by `daxlease run`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseScenario } from "../src/scenario/parse.js";
import { scenarioFiles } from "../src/cli/files.js";
import { runOnModel } from "../src/run/model.js";
import { Machine, type MState } from "../src/machine/machine.js";
import { compile } from "../src/machine/program.js";
import { policyNamed, policyVariants } from "../src/policy/registry.js";
import { encodeState } from "../src/kernel/snapshot.js";
import { procFds } from "../src/kernel/fs/file.js";
import { search } from "../src/explore/drive.js";
import { checkScenario, exitStatus } from "../src/explore/check.js";
import { PROPERTIES } from "../src/props/names.js";
import { formatReport } from "../src/scenario/report.js";

const ROOT = new URL("../../scenarios/", import.meta.url).pathname;

const CANON = readFileSync(ROOT + "explore/rdma-truncate.scn", "utf8");

/** A small script with every kind of move: optional steps, an optional handler, @any, and time. */
const SMALL = `@scenario small
@sysctl fs.lease-break-time=1
@fs /mnt/pmem type=xfs dax=always size=1M
@file /mnt/pmem/a size=8192 uid=1000
@proc A uid=1000
@proc B uid=1000
@proc ADMIN uid=0
A: open("/mnt/pmem/a", O_RDWR)
A: fcntl(3, F_SETLEASE, F_LAYOUT)
A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf
A: open("/dev/infiniband/uverbs0", O_RDWR)
A: ibv_alloc_pd(4) = $pd
A: ibv_reg_mr($pd, $buf, 8192, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE) = $mr
A?: close(3)
B: truncate("/mnt/pmem/a", 4096)
@on A? SIGIO: ibv_dereg_mr($mr); fcntl(3, F_SETLEASE, F_UNLCK)
@any NIC: rdma_write($mr, 0, "dma") max=1
@any ADMIN: kill(A, SIGKILL)
`;

/** The naive reference: breadth first over the machine, states known by their full JSON encoding. */
function naive(text: string, policy: string): { states: number; depth: number } {
  const m = new Machine(compile(parseScenario(text, "t.scn")), policyNamed(policy), { handlers: true });
  const id = (st: MState) => encodeState(st.k) + JSON.stringify(m.extra(st));
  const root = m.boot();
  const seen = new Set([id(root)]);
  let level = [root], depth = 0;
  while (level.length > 0) {
    const next: MState[] = [];
    for (const st of level) {
      for (const mv of m.moves(st)) {
        const c = m.clone(st);
        m.step(c, mv);
        const k = id(c);
        if (seen.has(k)) continue;
        seen.add(k);
        next.push(c);
      }
    }
    if (next.length > 0) depth++;
    level = next;
  }
  return { states: seen.size, depth };
}

test("the explorer reaches exactly the states a naive search reaches, in every mode", () => {
  for (const [text, policies] of [[SMALL, ["rfc-v1", "sticky", "exclusive", "linux"]], [CANON, ["rfc-v1", "mr-owned"]]] as const) {
    for (const policy of policies) {
      const want = naive(text, policy);
      const sc = parseScenario(text, "t.scn");
      const m = () => new Machine(compile(sc), policyNamed(policy), { handlers: true });
      const bfs = search(m(), { mode: "bfs" });
      const dfs = search(m(), { mode: "dfs" });
      const exact = search(m(), { mode: "bfs", exact: true });
      assert.equal(bfs.states, want.states, `${policy}: bfs`);
      assert.equal(dfs.states, want.states, `${policy}: dfs`);
      assert.equal(exact.states, want.states, `${policy}: exact`);
      assert.equal(bfs.depth, want.depth, `${policy}: depth`);
      assert.deepEqual(dfs.verdicts, bfs.verdicts, `${policy}: dfs and bfs verdicts`);
      assert.deepEqual(exact.verdicts, bfs.verdicts, `${policy}: exact and hashed verdicts`);
      assert.ok(bfs.complete && bfs.storage.missProbability < 1e-9 && exact.storage.missProbability === 0);
    }
  }
});

test("an optional step is tried both ways; an optional handler both reacts and ignores", () => {
  const sc = parseScenario(SMALL, "t.scn");
  const m = new Machine(compile(sc), policyNamed("rfc-v1"), { handlers: true });
  let closed = false, kept = false, reacted = false, ignored = false;
  const seen = new Set<string>();
  const walk = (st: MState) => {
    const key = m.hash(st);
    if (seen.has(key)) return;
    seen.add(key);
    const a = m.proc(st, 0);
    if (a !== null && st.pc[0] === m.c.programs[0]!.length) (procFds(st.k, a)[3] ?? -1) >= 0 ? (kept = true) : (closed = true);
    if (st.hchoice[0] === 1) reacted = true;
    if (st.hchoice[0] === 2) ignored = true;
    for (const mv of m.moves(st)) { const c = m.clone(st); m.step(c, mv); walk(c); }
  };
  walk(m.boot());
  assert.ok(closed && kept, "A?: close(3) made and skipped");
  assert.ok(reacted && ignored, "@on A? SIGIO: reacts and ignores");
});

test("a bound stops the search: the verdicts are unknown, never holds, and check exits 4", () => {
  const sc = parseScenario(CANON.replace(/^@expect.*$/gm, ""), "t.scn");
  const r = checkScenario(sc, "sticky", { maxStates: 50 });
  assert.equal(r.complete, false);
  assert.equal(r.stopped, "states");
  for (const p of PROPERTIES) assert.notEqual(r.verdicts[p], "holds");
  assert.equal(exitStatus(r), 4);
  const bounded = parseScenario(CANON.replace(/^@expect.*$/gm, "") + "@bound states=60 depth=400\n", "t.scn");
  assert.equal(bounded.bound.states, 60);
  assert.equal(checkScenario(bounded, "sticky").stopped, "states");
  const walks = checkScenario(sc, "sticky", { mode: "random", walks: 20, seed: 7 });
  assert.ok(PROPERTIES.every((p) => walks.verdicts[p] !== "holds"), "random walks never prove a property");
  assert.deepEqual(checkScenario(sc, "sticky", { mode: "random", walks: 20, seed: 7 }).states, walks.states, "the same seed walks the same runs");
});

test("check compares with @expect: 0 when every verdict is as written, 1 when one differs", () => {
  const sc = parseScenario(CANON, "t.scn");
  assert.equal(exitStatus(checkScenario(sc, "rfc-v1")), 0);
  const wrong = parseScenario(CANON.replace("@expect pinner-visible fails", "@expect pinner-visible holds"), "t.scn");
  const r = checkScenario(wrong, "rfc-v1");
  assert.equal(exitStatus(r), 1);
  assert.match(r.expectDiffers[0]!, /pinner-visible was expected to hold, and it fails/);
});

test("the shortest counterexample of the canonical case under rfc-v1 is the one README shows", () => {
  const r = checkScenario(parseScenario(CANON, "rdma-truncate.scn"), "rfc-v1");
  const c = r.counterexamples.find((x) => x.property === "pinner-visible")!;
  assert.equal(c.length, 8);
  assert.match(c.script, /A: close\(3\) = 0\nA: munmap\(\$buf, 16384\) = 0\n# \^ pinner-visible fails here/);
  const rec = r.counterexamples.find((x) => x.property === "recoverable")!;
  assert.match(rec.script, /B: truncate\("\/mnt\/pmem\/a", 0\) = -1 ETXTBSY\n# \^ recoverable fails here/);
});

/** Every counterexample replays: `run` passes each step and sees the same property fail. */
function replays(file: string, text: string, policies: string[]) {
  const sc = parseScenario(text, file);
  for (const policy of policies) {
    const r = checkScenario(sc, policy, { maxStates: 200_000 });
    for (const c of r.counterexamples) {
      const back = runOnModel(parseScenario(c.script, c.fileName), policy).report;
      assert.ok(back.ok, `${file} under ${policy}, ${c.property}:\n${formatReport(back)}`);
      assert.ok((back.violations ?? []).some((v) => v.property === c.property), `${file} under ${policy}: replay does not see ${c.property} fail\n${c.script}`);
    }
  }
}

test("scenarios/explore under every policy: the golden verdict matrix (scenarios/explore/verdicts.json), and every counterexample replays with run", () => {
  const golden = JSON.parse(readFileSync(ROOT + "explore/verdicts.json", "utf8")) as { scenario: string; policy: string }[];
  const rows: unknown[] = [];
  for (const f of scenarioFiles([ROOT + "explore"])) {
    const text = readFileSync(f, "utf8");
    const sc = parseScenario(text, f);
    for (const policy of policyVariants()) {
      const r = checkScenario(sc, policy);
      rows.push({ scenario: r.scenario, policy, complete: r.complete, setupRefused: r.setupRefused, verdicts: r.verdicts,
        shortest: Object.fromEntries(r.counterexamples.map((c) => [c.property, c.length])) });
      for (const c of r.counterexamples) {
        const back = runOnModel(parseScenario(c.script, c.fileName), policy).report;
        assert.ok(back.ok, `${f} under ${policy}, ${c.property}:\n${formatReport(back)}`);
        assert.ok((back.violations ?? []).some((v) => v.property === c.property), `${f} under ${policy}: replay does not see ${c.property} fail`);
      }
    }
  }
  const key = (x: { scenario: string; policy: string }) => `${x.scenario} ${x.policy}`;
  const sorted = (xs: { scenario: string; policy: string }[]) => [...xs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  // A changed cell is a changed answer: regenerate with `node bench/golden.mjs` and review the diff.
  assert.deepEqual(sorted(rows as { scenario: string; policy: string }[]), sorted(golden));
});

test("every counterexample of both old corpora, under their own policy, replays with run", () => {
  for (const f of scenarioFiles([ROOT + "linux", ROOT + "proposals"])) {
    const text = readFileSync(f, "utf8");
    replays(f, text, [parseScenario(text, f).policy]);
  }
});
