// Partial-order reduction (explore/por.ts): the same verdicts and the same shortest runs as
// the search of every interleaving, on every exploration script under every policy and on
// both corpora under their own; each move an ample set takes commutes with what the other
// actors can do first (also after random runs of theirs), is invisible to the properties, and
// leaves nothing behind once its process is killed; the plain search that confirms the
// shortest runs is needed and works; the RDMA device node a script opens exists from boot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { parseScenario } from "../src/scenario/parse.js";
import { scenarioFiles } from "../src/cli/files.js";
import { Machine, type MState, type Move } from "../src/machine/machine.js";
import { compile } from "../src/machine/program.js";
import { policyNamed, policyVariants } from "../src/policy/registry.js";
import { checkScenario, type CheckReport } from "../src/explore/check.js";
import { Search, DEFAULTS, rng } from "../src/explore/search.js";
import { search } from "../src/explore/drive.js";
import { ample } from "../src/explore/por.js";
import { judge } from "../src/explore/expand.js";
import { untold } from "../src/props/predicates.js";
import { unrecoverable } from "../src/props/recoverable.js";
import { sendSignal } from "../src/kernel/sched/signal.js";
import { newStepOut } from "../src/machine/machine.js";
import { UVERBS_PATH } from "../src/kernel/rdma/verbs.js";

const ROOT = new URL("../../scenarios/", import.meta.url).pathname;
const BENCH = new URL("../../bench/scripts/", import.meta.url).pathname;

function lengths(r: CheckReport): Record<string, number> {
  return Object.fromEntries(r.counterexamples.map((c) => [c.property, c.length]));
}

/** Checks each policy with and without reduction; the states of both, summed. */
function same(file: string, text: string, policies: string[]): { on: number; off: number } {
  const sc = parseScenario(text, file);
  let on = 0, off = 0;
  for (const policy of policies) {
    const a = checkScenario(sc, policy, { por: true });
    const b = checkScenario(sc, policy, { por: false });
    const where = `${file} under ${policy}`;
    assert.equal(a.complete, b.complete, where);
    assert.deepEqual(a.verdicts, b.verdicts, `${where}: verdicts`);
    assert.deepEqual(lengths(a), lengths(b), `${where}: shortest runs`);
    assert.ok(a.states <= b.states, `${where}: ${a.states} states reduced, ${b.states} not`);
    on += a.states;
    off += b.states;
  }
  return { on, off };
}

test("verdicts and shortest runs are those of every interleaving: scenarios/explore under every policy, and the bench's scripts", () => {
  const files = [...scenarioFiles([ROOT + "explore"]), BENCH + "rdma-truncate-2apps.scn"];
  let on = 0, off = 0;
  for (const f of files) {
    const n = same(f, readFileSync(f, "utf8"), policyVariants());
    on += n.on;
    off += n.off;
  }
  assert.ok(on < off * 0.8, `the reduction saves something: ${on} states against ${off}`);
});

test("verdicts and shortest runs are those of every interleaving: both corpora under their own policy", () => {
  for (const f of scenarioFiles([ROOT + "linux", ROOT + "proposals"])) {
    const text = readFileSync(f, "utf8");
    same(f, text, [parseScenario(text, f).policy]);
  }
});

/** A script with every class of local move, processes with handlers, and kills. */
const LOCAL = `@scenario local-moves
@sysctl fs.lease-break-time=1
@fs /mnt/pmem type=xfs dax=always size=1M
@file /mnt/pmem/a size=16384 uid=1000
@file /mnt/pmem/p size=8192 uid=1000 mode=0666
@file /mnt/pmem/q size=8192 uid=1001
@fs /mnt/disk type=ext4 size=1M
@file /mnt/disk/e size=8192 uid=1000
@proc A uid=1000
@proc B uid=1000
@proc D uid=1001
@proc E uid=1000
@proc ADMIN uid=0
A: open("/mnt/pmem/a", O_RDWR)
A: fcntl(3, F_GETFL)
A: fcntl(3, F_SETLAYOUT, F_RDLCK)
A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)
A: fcntl(3, F_SETLEASE, F_LAYOUT)
A: mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf
A: mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = $anon
A: open("/dev/infiniband/uverbs0", O_RDWR)
A: ibv_alloc_pd(4) = $pd
A: ibv_reg_mr($pd, $buf, 16384, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE) = $mr
A?: close(3)
B: open("/mnt/pmem/p", O_RDWR)
B: read(3, "", 16)
B: lsof("/mnt/pmem/a")
B?: close(3)
B: truncate("/mnt/pmem/a", 0)
D: truncate("/mnt/pmem/p", 0)
D: open("/dev/infiniband/uverbs0", O_RDWR)
D: ibv_alloc_pd(3) = $pd2
D: open("/mnt/pmem/q", O_RDONLY)
D: read(4, "", 8)
D: mmap($anon, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
E: open("/dev/infiniband/uverbs0", O_RDWR)
E: ibv_alloc_pd(3) = $pe
E: open("/mnt/disk/e", O_RDWR)
E: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 4, 0) = $be
E: ibv_reg_mr($pe, $be, 8192, IBV_ACCESS_REMOTE_READ) = $me
E: munmap($be, 8192)
E: mmap($be, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 4, 0)
E: close(4)
E: open("/mnt/disk/e", O_RDONLY)
ADMIN: cat("/proc/locks")
ADMIN: rdma("resource show mr")
@on A? SIGIO: ibv_dereg_mr($mr); fcntl(3, F_SETLEASE, F_UNLCK)
@any NIC: rdma_write($mr, 0, "dma") max=1
@any NIC: rdma_write($me, 0, "x")
@any ADMIN: kill(A, SIGKILL)
@any ADMIN: kill(D, SIGKILL)
`;

test("the script of every local move: the same verdicts and shortest runs, under every policy", () => {
  const n = same("local-moves.scn", LOCAL, policyVariants());
  assert.ok(n.on < n.off * 0.5, `${n.on} states against ${n.off}`);
});

const key = (mv: Move) => `${mv.k}:${mv.i}`;

/** What a move's call says to user-told and recoverable (null: nothing), and the state after it. */
function take(m: Machine, st: MState, mv: Move): { st: MState; told: boolean; recov: boolean } {
  const c = m.clone(st);
  const out = m.step(c, mv);
  if (out.call === null) return { st: c, told: false, recov: false };
  const proc = out.call.prog === m.nic ? null : m.proc(c, out.call.prog);
  const o = { proc, call: out.call.call.step.name, args: out.call.args, ret: out.call.res.ret, data: out.call.res.data ?? "" };
  return { st: c, told: untold(c.k, proc, o.call, o.args, o.ret, o.data) !== null, recov: unrecoverable(c.k, o) !== null };
}

/** What the properties and no-innocent-hang see of a state. */
function seen(m: Machine, st: MState) {
  const j = judge(m, st);
  return { corr: j.corr !== null, vis: j.vis !== null, registered: j.registered, innocent: j.innocent, awake: j.awake };
}

/** Process i killed (SIGKILL), and what the kernel then does by itself. */
function killed(m: Machine, st: MState, i: number): MState {
  const c = m.clone(st);
  sendSignal(c.k, m.proc(c, i)!, { signo: 9, code: 0, fd: 0, band: 0 });
  m.settle(c, newStepOut());
  return c;
}

/** Is a move one of process i's (its program or its handlers)? */
const mine = (mv: Move, i: number) => mv.k !== "any" && mv.k !== "tick" && mv.i === i;

/**
 * In every state where the reduced search takes an ample set: each of its moves is invisible,
 * commutes with every other enabled move, and with random runs of other actors' moves (up to
 * their killing its process, after which both sides are one state), and a kill of its
 * process right after it gives the state the kill gives without it.
 */
function checkAmple(text: string, policy: string, seed: number): number {
  const m = new Machine(compile(parseScenario(text, "t.scn")), policyNamed(policy), { handlers: true });
  const next = rng(seed);
  const seenStates = new Set<string>();
  let level = [m.boot()];
  let checked = 0;
  while (level.length > 0) {
    const out: MState[] = [];
    for (const s of level) {
      const all = m.moves(s), am = ample(m, s);
      if (am.length < all.length) {
        checked++;
        const i = am[0]!.i;
        assert.ok(am.every((mv) => (mv.k === "call" || mv.k === "skip") && mv.i === i), "an ample set is one process's next step");
        const rest = all.filter((mv) => !am.some((a) => key(a) === key(mv)));
        for (const a of am) {
          const sa = take(m, s, a);
          const where = `${policy}: ${m.c.procs[i]!.name}'s ${key(a)} at pc ${s.pc[i]}`;
          assert.ok(!sa.told && !sa.recov, `${where} is a failure of its own`);
          assert.deepEqual(seen(m, sa.st), seen(m, s), `${where} is visible`);
          assert.equal(m.hash(killed(m, sa.st, i)), m.hash(killed(m, s, i)), `${where} leaves a trace after a kill`);
          for (const t of rest) {
            const st = take(m, s, t), at = take(m, sa.st, t);
            assert.ok(m.moves(sa.st).some((x) => key(x) === key(t)), `${where} disables ${key(t)}`);
            assert.deepEqual([at.told, at.recov], [st.told, st.recov], `${where} changes what ${key(t)} is judged`);
            if (m.gone(st.st, i)) { assert.equal(m.hash(at.st), m.hash(st.st), `${where}, then ${key(t)} killing it`); continue; }
            assert.ok(m.moves(st.st).some((x) => key(x) === key(a)), `${key(t)} disables ${where}`);
            assert.equal(m.hash(take(m, st.st, a).st), m.hash(at.st), `${where} does not commute with ${key(t)}`);
          }
          // Random runs of the other actors (never process i), the same moves on both sides.
          for (let r = 0; r < 3; r++) {
            let x = s, y = sa.st;
            for (let d = 0; d < 8; d++) {
              const options = m.moves(x).filter((mv) => !mine(mv, i));
              if (options.length === 0) break;
              const t = options[Math.floor(next() * options.length)]!;
              assert.ok(m.moves(y).some((mv) => key(mv) === key(t)), `${where}: ${key(t)} after a run is not enabled on the other side`);
              const tx = take(m, x, t), ty = take(m, y, t);
              assert.deepEqual([ty.told, ty.recov], [tx.told, tx.recov], `${where} changes what ${key(t)} is judged after a run`);
              x = tx.st;
              y = ty.st;
              if (m.gone(x, i)) break;
              assert.ok(m.moves(x).some((mv) => key(mv) === key(a)), `${where}: a run of others disables it (${key(t)})`);
            }
            if (m.gone(x, i)) assert.equal(m.hash(y), m.hash(x), `${where}: after a run that kills it, a trace is left`);
            else assert.equal(m.hash(take(m, x, a).st), m.hash(y), `${where} does not commute with a run of others`);
          }
        }
      }
      for (const mv of am) {
        const c = m.clone(s);
        m.step(c, mv);
        const h = m.hash(c);
        if (!seenStates.has(h)) { seenStates.add(h); out.push(c); }
      }
    }
    level = out;
  }
  return checked;
}

test("ample moves commute with the other actors' moves and runs, are invisible, and vanish with their process", () => {
  let checked = 0;
  const scripts = [LOCAL, ...scenarioFiles([ROOT + "explore"]).map((f) => readFileSync(f, "utf8"))];
  scripts.forEach((text, k) => {
    for (const policy of policyVariants()) checked += checkAmple(text, policy, 17 + k);
  });
  assert.ok(checked > 500, `only ${checked} states were reduced`);
});

test("the reduced search's run may be longer than the shortest; the plain search after it finds the shortest", () => {
  const cases: [string, string, string][] = [
    ["proposals/lease-owned-by-mr.scn", "rfc-v1", "pinner-visible"],
    ["proposals/lease-owned-by-mr.scn", "rfc-v1", "recoverable"],
    ["proposals/lease-broken-pins-remain.scn", "exclusive", "no-innocent-hang"],
  ];
  for (const [file, policy, property] of cases) {
    const sc = parseScenario(readFileSync(ROOT + file, "utf8"), file);
    const m = () => new Machine(compile(sc), policyNamed(policy), { handlers: true });
    const reduced = new Search(m(), { ...DEFAULTS, por: true });
    reduced.bfs();
    const long = reduced.result().findings.find((f) => f.property === property)!.moves.length;
    const por = search(m(), { por: true });
    const plain = search(m(), { por: false });
    const len = (r: typeof por) => r.findings.find((f) => f.property === property)!.moves.length;
    assert.ok(long > len(plain), `${file} under ${policy}: the reduced run of ${property} (${long}) is already shortest`);
    assert.equal(len(por), len(plain), `${file} under ${policy}: ${property}`);
    assert.ok(por.confirm !== null && por.confirm.complete && por.confirm.states < plain.states);
  }
});

test("the RDMA device node exists from boot when the script opens it, so which process opens it first leaves no trace", () => {
  const text = `@scenario dev
@fs /mnt/t type=ext4 size=1M
@proc A uid=1000
@proc B uid=1000
A: open("/dev/infiniband/uverbs0", O_RDWR)
B: open("/mnt/t/new", O_CREAT|O_RDWR, 0644)
`;
  const m = new Machine(compile(parseScenario(text, "dev.scn")), policyNamed("linux"), { handlers: true });
  const root = m.boot();
  assert.ok(root.k.inodes.some((x) => x !== null && x.path === UVERBS_PATH && x.refs === 1));
  const order = (first: Move, second: Move) => { const st = m.clone(root); m.step(st, first); m.step(st, second); return m.hash(st); };
  const a: Move = { k: "call", i: 0 }, b: Move = { k: "call", i: 1 };
  assert.equal(order(a, b), order(b, a));
  const none = new Machine(compile(parseScenario(text.replace(/^A: open.*$/m, ""), "dev.scn")), policyNamed("linux"), { handlers: true });
  assert.ok(!none.boot().k.inodes.some((x) => x !== null && x.path === UVERBS_PATH), "no device node for a script that does not open it");
});

test("check: reduction on by default, --no-por turns it off; the same verdicts, the same output twice", () => {
  const BIN = new URL("../src/cli/bin.js", import.meta.url).pathname;
  const cli = (...args: string[]) => {
    const env = { ...process.env };
    for (const k of ["CI", "NO_COLOR", "FORCE_COLOR", "TERM"]) delete env[k];
    return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env });
  };
  const CANON = ROOT + "explore/rdma-truncate.scn";
  const on = JSON.parse(cli("check", "--json", CANON).stdout)[0];
  const off = JSON.parse(cli("check", "--json", "--no-por", CANON).stdout)[0];
  assert.equal(on.por, true);
  assert.equal(off.por, false);
  assert.ok(on.states < off.states);
  assert.deepEqual(on.verdicts, off.verdicts);
  assert.ok(on.confirm.states > 0 && off.confirm === null);
  const text = cli("check", "--policy", "exclusive", CANON).stdout;
  assert.match(text, /partial-order reduction on \(--no-por: every interleaving\); shortest runs confirmed by a plain search of [\d,]+ states/);
  const strip = (s: string) => s.replace(/[\d.]+ s\b/g, "");
  assert.equal(strip(cli("check", "--policy", "all", CANON).stdout), strip(cli("check", "--policy", "all", CANON).stdout));
  assert.match(cli("check", "--help").stdout, /--no-por/);
});
