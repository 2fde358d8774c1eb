// The shortest runs under partial-order reduction. Every failure the reduced search finds is
// a real run, but maybe not a shortest one: an ample set may force a move the failure does
// not need. So a plain breadth-first search (no reduction) goes over the runs shorter than the
// longest failure found, and stops as soon as each failing property is settled: found by a run
// it makes (the shortest, breadth first, and the very run the search without reduction
// prints), or shown to have no run shorter than the reduced one. For no-innocent-hang each
// state of the plain search with an innocent sleeper is a candidate, stuck when no run without
// faults from it wakes the sleeper: a forward search tells, cut short where it meets a state
// of the reduced graph, whose cone of states where that process sleeps is complete there
// (explore/por.ts). A failure the plain search finds where the complete reduced search found
// none would be a reduction that lost an answer: a model bug, thrown.
import type { Machine, MState } from "../machine/machine.js";
import { PState } from "../kernel/include/state.js";
import { hashLanes } from "../kernel/snapshot.js";
import { ModelBug } from "../kernel/include/assert.js";
import { PROPERTIES, type Property } from "../props/names.js";
import { Search, replayState, hangDetail, type Finding, type SearchResult } from "./search.js";

export interface ConfirmPlan {
  /** The plain search to run (breadth first, in this thread or over workers). */
  plain: Search;
  /** The reduced search's result with the shortest runs. */
  finish(): SearchResult;
}

export function confirmPlan(m: Machine, reduced: Search, r: SearchResult): ConfirmPlan | null {
  const lengths = new Map<Property, number>(r.findings.map((f) => [f.property, f.moves.length]));
  const longest = Math.max(0, ...lengths.values());
  // A run of one move has no shorter run but the start, which both searches judge.
  if (longest <= 1) return null;
  const o = reduced.o;
  const plain = new Search(m, { ...o, por: false, maxDepth: Math.min(longest - 1, o.maxDepth) });
  const start = o.now?.() ?? 0;
  const hangLength = lengths.get("no-innocent-hang") ?? 0;
  const stuck = new Stuck(m, reduced, o.maxStates);
  let hang: Finding | null = null;
  let scanned = 0;
  plain.levelDone = (depth) => {
    // The states made so far are those of depth <= `depth`, in breadth-first order.
    for (; hang === null && depth < hangLength && scanned < plain.states; scanned++) {
      const bits = plain.graph.innocentAt(scanned);
      for (let i = 0; bits !== 0 && i < m.c.procs.length; i++) {
        if ((bits & (1 << i)) === 0) continue;
        const moves = plain.graph.path(scanned);
        const st = replayState(m, moves);
        if (!stuck.stuck(st, i)) continue;
        hang = { property: "no-innocent-hang", moves, detail: hangDetail(m, st, i, m.proc(st, i)?.wait?.call ?? ""), line: 0 };
        break;
      }
    }
    scanned = plain.states;
    return [...lengths].every(([p, n]) => (p === "no-innocent-hang" ? hang !== null : plain.findings.has(p)) || depth >= n - 1);
  };
  const finish = (): SearchResult => {
    const findings: Finding[] = [];
    const verdicts = { ...r.verdicts };
    for (const p of PROPERTIES) {
      const had = reduced.findings.get(p);
      const shorter = p === "no-innocent-hang" ? hang : plain.findings.get(p);
      if (shorter !== null && shorter !== undefined && had === undefined && r.complete) {
        throw new ModelBug(`partial-order reduction lost a failure of ${p} (a run of ${shorter.moves.length} moves)`);
      }
      const f = shorter ?? had;
      if (f === undefined || f === null) continue;
      findings.push(f);
      verdicts[p] = "fails";
    }
    const complete = (plain.stopped === null || plain.stopped === "depth") && stuck.complete;
    const seconds = ((o.now?.() ?? 0) - start) / 1000;
    return { ...r, findings, verdicts, seconds: r.seconds + seconds, confirm: { states: plain.states, seconds, complete } };
  };
  return { plain, finish };
}

/** Whether an innocent sleeper of a state can ever be woken: forward searches, with what is known so far. */
class Stuck {
  private lanes = new Uint32Array(2);
  private wake = new Map<number, Uint8Array>();
  /** Per process: states from which no run without faults wakes it (found by earlier searches). */
  private never = new Map<number, Set<string>>();
  /** False once a forward search was cut short by the state bound (it then counts as waking). */
  complete = true;

  constructor(private m: Machine, private reduced: Search, private maxStates: number) {}

  private id(st: MState): string {
    if (this.reduced.o.exact) return this.m.key(st);
    hashLanes(st.k, () => this.m.extra(st), this.lanes);
    return `${this.lanes[0]}:${this.lanes[1]}`;
  }

  /** What the reduced graph knows of a state: 1 it can wake i, 0 it cannot, -1 not in the graph. */
  private known(i: number, id: string): number {
    const [a, b] = this.reduced.o.exact ? [0, 0] : id.split(":").map(Number) as [number, number];
    const v = this.reduced.nodeOf(a, b, this.reduced.o.exact ? id : "");
    if (v < 0) return -1;
    let w = this.wake.get(i);
    if (w === undefined) { w = this.reduced.graph.wakeable(i); this.wake.set(i, w); }
    return w[v]!;
  }

  private awake(st: MState, i: number): boolean {
    const p = this.m.proc(st, i);
    return p === null || p.state !== PState.Blocked;
  }

  stuck(st: MState, i: number): boolean {
    const never = this.never.get(i) ?? new Set<string>();
    this.never.set(i, never);
    const first = this.id(st);
    if (never.has(first)) return true;
    const k0 = this.known(i, first);
    if (k0 >= 0) return k0 === 0;
    const seen = new Set<string>([first]);
    const queue: MState[] = [st];
    for (let head = 0; head < queue.length; head++) {
      const x = queue[head]!;
      for (const mv of this.m.moves(x)) {
        if (this.m.isFault(mv)) continue;
        const y = this.m.clone(x);
        this.m.step(y, mv);
        if (this.awake(y, i)) return false;
        const id = this.id(y);
        if (seen.has(id) || never.has(id)) continue;
        const k = this.known(i, id);
        if (k === 1) return false;
        if (k === 0) continue;
        seen.add(id);
        queue.push(y);
        if (seen.size > this.maxStates) { this.complete = false; return false; }
      }
    }
    for (const id of seen) never.add(id);
    return true;
  }
}
