// Why daxlease's state space of the canonical case is larger than SPIN's: every state the
// explorer reaches is projected onto the variables of bench/peers/rdma_truncate.pml (per app
// its pc, fd, mapping, lease, MR, handler; B and C; the blocks' owners, pins and NIC data).
// If the Promela model is the same script, the projection reaches as many states as SPIN
// stores without partial-order reduction (less its boot states); the rest of daxlease's
// states differ only in what the Promela model leaves out. Then, one part of that at a
// time, how many states the projection would have with that part added: which details
// multiply the space, and by how much.
import { procFds } from "../../src/kernel/fs/file.js";
import { Machine, type MState } from "../../src/machine/machine.js";
import { compile } from "../../src/machine/program.js";
import { policyNamed } from "../../src/policy/registry.js";
import { parseScenario } from "../../src/scenario/parse.js";
import { PState, FL_UNLOCK_PENDING, PIN_DAX, type KState } from "../../src/kernel/include/state.js";
import { peerScript } from "./script.js";

export interface Projection {
  /** States daxlease reaches (a breadth-first search of its own, exact keys). */
  states: number;
  /** Distinct projections onto the Promela model's variables. */
  promela: number;
  /** Per detail left out of the Promela model: the projection's states with that detail added. */
  details: { name: string; states: number }[];
  /** The projection with every detail added: as many as daxlease's states when the list is complete. */
  together: number;
}

/** The Promela model's state, read off a daxlease state. */
export function promelaKey(m: Machine, st: MState, F: number, apps: number): string {
  const k = st.k;
  const ia = k.dents["/mnt/pmem/a"]!, ib = k.dents["/mnt/pmem/b"]!;
  const a = k.inodes[ia]!;
  const mnt = k.mounts[a.mnt]!;
  const out: number[] = [];
  for (let i = 0; i < apps; i++) {
    const p = m.proc(st, i)!;
    const dead = p.state === PState.Exited || p.state === PState.Killed;
    const fds = procFds(k, p), fd3 = (fds[3] ?? -1) >= 0 && k.files[fds[3]!]?.ino === ia ? 1 : 0;
    const mapped = p.vmas.some((v) => v.file >= 0 && k.files[v.file]?.ino === ia) ? 1 : 0;
    const l = a.leases.find((x) => x.pid === p.pid);
    const lease = l === undefined ? 0 : l.flags & FL_UNLOCK_PENDING ? 2 : 1;
    const v = m.c.vars.indexOf(`mr${i + 1}`);
    const mrset = v >= 0 && st.set[v] === 1;
    const ps = mrset ? k.pinsets[st.vars[v]!] : null;
    const mr = !mrset ? 0 : ps !== null && ps !== undefined && ps.pinned.length > 0 && !ps.dead ? 1 : 2;
    const blk: number[] = [];
    if (ps !== null && ps !== undefined) for (let q = 0; q < ps.pinned.length; q += 4) if (ps.pinned[q] === PIN_DAX) blk.push(ps.pinned[q + 2]!);
    while (blk.length < F) blk.push(mr === 0 ? 0 : -1);
    const h = m.c.handlers.findIndex((x) => x.proc === i);
    out.push(st.pc[i]!, fd3, mapped, lease, mr, mrset ? 1 : 0, ...(mr === 1 ? blk : new Array(F).fill(0)),
      st.hq[i]!.length > 0 ? 1 : 0, st.hrun[i]! >= 0 ? 1 : 0, st.hchoice[h]!, dead ? 1 : 0,
      st.anyUsed[2 * i]!, st.anyUsed[2 * i + 1]!);
  }
  const B = m.proc(st, apps)!;
  out.push(st.pc[apps]!, B.state === PState.Blocked ? 1 : 0, st.pc[apps + 1]!);
  for (let blk = 0; blk <= F; blk++) {
    const o = mnt.owner[blk] ?? -1;
    out.push(o === ia ? 1 : o === ib ? 2 : 0, mnt.pins[blk] ?? 0);
  }
  out.push(a.size === 0 ? 1 : 0);
  return out.join(",");
}

/**
 * The parts of daxlease's state the Promela model leaves out (each against the projection:
 * a part that adds no state does not show). Found by comparing the two spaces state by state.
 */
function details(m: Machine, st: MState): { name: string; value: string }[] {
  const k: KState = st.k;
  const j = (x: unknown) => JSON.stringify(x);
  const fileOf = (id: number) => (id < 0 ? id : [k.files[id]!.kind, k.files[id]!.ino]);
  return [
    { name: "slot numbers in the open-file table (which slot an open gets depends on the order of the opens)", value: j(k.procs.map((p) => procFds(k, p))) },
    { name: "which file each descriptor is (by kind and inode)", value: j(k.procs.map((p) => procFds(k, p).map(fileOf))) },
    { name: "the bytes the NIC wrote into a block (SPIN drops write-only variables)", value: j(k.mounts.map((x) => x.data)) },
    { name: "where a killed app's handler was (hpc is kept after the exit)", value: j(st.hpc) },
    { name: "signals received since the last call began (sigpend)", value: j(k.procs.map((p) => p.sigpend)) },
    { name: "exit states and codes", value: j(k.procs.map((p) => [p.state, p.code])) },
    { name: "mappings (addresses, offsets, protections)", value: j(k.procs.map((p) => p.vmas.map((v) => [v.start, v.end, v.pgoff, v.prot, v.flags, v.file < 0 ? -1 : k.files[v.file]!.ino]))) },
    { name: "handle numbers ($buf, $pd, $mr)", value: j(st.vars) },
    { name: "leases in full (fasync fd, pins counted under it, deadlines)", value: j(k.inodes.map((i) => i?.leases.map((l) => [l.type, l.flags, l.pid, l.faFd, l.pins, l.kind, l.breakTime && l.breakTime - k.now]))) },
    { name: "inodes (size, open counts, refs, block map)", value: j(k.inodes.map((i) => (i === null ? null : [i.size, i.readcount, i.writecount, i.refs, i.map]))) },
    { name: "MRs and PDs (pages, process, PD)", value: j(k.pinsets.map((p) => p && [p.pd, p.pid, p.dead, p.pinned])) },
    { name: "sleeping calls (queue, deadlines)", value: j(k.procs.map((p) => (p.wait === null ? null : [p.wait.kind, p.wait.wake >= 0 ? p.wait.wake - k.now : -1, p.wait.woken]))) },
  ];
}

/**
 * Breadth first over the machine, a state known by `key`: calls `visit` on each new state
 * (the boot state included); false when more than `maxStates` states were found.
 */
function bfs(m: Machine, key: (st: MState) => string, visit: (st: MState) => void, maxStates = Infinity): boolean {
  const root = m.boot();
  const seen = new Set<string>([key(root)]);
  visit(root);
  let level: MState[] = [root];
  while (level.length > 0) {
    const next: MState[] = [];
    for (const st of level) {
      for (const mv of m.moves(st)) {
        const c = m.clone(st);
        m.step(c, mv);
        const k = key(c);
        if (seen.has(k)) continue;
        seen.add(k);
        if (seen.size > maxStates) return false;
        visit(c);
        next.push(c);
      }
    }
    level = next;
  }
  return true;
}

export function project(F: number, apps: number, maxStates = 200_000): Projection | null {
  const m = new Machine(compile(parseScenario(peerScript(F, apps), `peers-f${F}-apps${apps}.scn`)), policyNamed("rfc-v1"), { handlers: true });
  let states = 0;
  const promela = new Set<string>();
  const names: string[] = [];
  const withDetail: Set<string>[] = [];
  const together = new Set<string>();
  const visit = (st: MState) => {
    states++;
    const key = promelaKey(m, st, F, apps);
    promela.add(key);
    const ds = details(m, st);
    ds.forEach((d, i) => {
      names[i] = d.name;
      (withDetail[i] ??= new Set()).add(`${key}|${d.value}`);
    });
    together.add(`${key}|${ds.map((d) => d.value).join("|")}`);
  };
  if (!bfs(m, (st) => m.key(st), visit, maxStates)) return null;
  return { states, promela: promela.size, details: names.map((name, i) => ({ name, states: withDetail[i]!.size })), together: together.size };
}

/**
 * daxlease's search with states merged when they agree on the Promela model's variables
 * (one representative kept): the space the Promela model should have, without
 * exploring the details that make daxlease's larger. Its size is SPIN's without POR, less
 * SPIN's boot state, when the two models are the same script.
 */
export function quotient(F: number, apps: number): number {
  const m = new Machine(compile(parseScenario(peerScript(F, apps), `peers-f${F}-apps${apps}.scn`)), policyNamed("rfc-v1"), { handlers: true });
  let n = 0;
  bfs(m, (st) => promelaKey(m, st, F, apps), () => n++);
  return n;
}
