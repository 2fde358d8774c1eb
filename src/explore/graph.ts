// The reachable graph as the search builds it: for each state its parent and the move that
// first reached it (so a run to it can be replayed), its depth, and who sleeps in it; every
// transition, marked when it is a fault (@any). no-innocent-hang is judged on it.
import { decodeMove, type Move } from "../machine/machine.js";

class Ints {
  a: Int32Array;
  n = 0;
  constructor(cap = 1024) { this.a = new Int32Array(cap); }
  push(v: number) {
    if (this.n === this.a.length) { const b = new Int32Array(this.a.length * 2); b.set(this.a); this.a = b; }
    this.a[this.n++] = v;
  }
  get(i: number): number { return this.a[i]!; }
}

export class Graph {
  private parent = new Ints();
  private move = new Ints();
  private depth = new Ints();
  /** Per state, one bit per process: asleep while holding no lease and no pin; not asleep (running or gone). */
  private innocent = new Ints();
  private awake = new Ints();
  private from = new Ints();
  private to = new Ints();
  private fault = new Ints();
  /** States counted without being kept (random walks). */
  private counted = 0;

  constructor(readonly procs: number) {}

  get size(): number {
    return this.parent.n + this.counted;
  }

  add(parent: number, move: number, depth: number, s: { innocent: number; awake: number }): number {
    this.parent.push(parent);
    this.move.push(move);
    this.depth.push(depth);
    this.innocent.push(s.innocent);
    this.awake.push(s.awake);
    return this.parent.n - 1;
  }

  count() {
    this.counted++;
  }

  edge(u: number, v: number, fault: boolean) {
    this.from.push(u);
    this.to.push(v);
    this.fault.push(fault ? 1 : 0);
  }

  /** The moves of the run that first reached node u. */
  path(u: number): Move[] {
    const out: Move[] = [];
    for (let x = u; x > 0; x = this.parent.get(x)) out.push(decodeMove(this.move.get(x)));
    return out.reverse();
  }

  /** Bytes per state: five numbers per node, three per edge (`transitions` of them). */
  bytesPerState(transitions: number): number {
    return 20 + (12 * transitions) / Math.max(1, this.parent.n);
  }

  depthOf(v: number): number {
    return this.depth.get(v);
  }

  /** The processes asleep in state v holding no lease and no pin (one bit each). */
  innocentAt(v: number): number {
    return this.innocent.get(v);
  }

  /** Reverse adjacency of the transitions that are not faults (CSR), made once. */
  private preds: { start: Int32Array; pred: Int32Array; edges: number } | null = null;

  private reverse(): { start: Int32Array; pred: Int32Array } {
    if (this.preds !== null && this.preds.edges === this.from.n) return this.preds;
    const n = this.parent.n, e = this.from.n;
    const start = new Int32Array(n + 1);
    for (let k = 0; k < e; k++) if (this.fault.get(k) === 0) start[this.to.get(k) + 1]!++;
    for (let v = 0; v < n; v++) start[v + 1]! += start[v]!;
    const fill = start.slice(0, n);
    const pred = new Int32Array(start[n]!);
    for (let k = 0; k < e; k++) if (this.fault.get(k) === 0) pred[fill[this.to.get(k)]!++] = this.from.get(k);
    this.preds = { start, pred, edges: e };
    return this.preds;
  }

  /** Per state (1 or 0): a run without faults leads from it to a state where process i is awake. */
  wakeable(i: number): Uint8Array {
    const n = this.parent.n;
    const { start, pred } = this.reverse();
    const reach = new Uint8Array(n);
    const queue = new Int32Array(n);
    let head = 0, tail = 0;
    for (let v = 0; v < n; v++) if (this.awake.get(v) & (1 << i)) { reach[v] = 1; queue[tail++] = v; }
    while (head < tail) {
      const v = queue[head++]!;
      for (let k = start[v]!; k < start[v + 1]!; k++) {
        const u = pred[k]!;
        if (reach[u] === 0) { reach[u] = 1; queue[tail++] = u; }
      }
    }
    return reach;
  }

  /**
   * no-innocent-hang on the complete graph: a state where a process sleeps holding no lease and
   * no pin, from which no run without faults leads to a state where it is awake. The shallowest
   * such state (and the process), or null.
   */
  hangs(): { node: number; proc: number } | null {
    const n = this.parent.n;
    let any = 0;
    for (let v = 0; v < n; v++) any |= this.innocent.get(v);
    if (any === 0) return null;
    let best: { node: number; proc: number } | null = null;
    for (let i = 0; i < this.procs; i++) {
      if ((any & (1 << i)) === 0) continue;
      const reach = this.wakeable(i);
      for (let v = 0; v < n; v++) {
        if (reach[v] === 1 || (this.innocent.get(v) & (1 << i)) === 0) continue;
        if (best === null || this.depth.get(v) < this.depth.get(best.node)) best = { node: v, proc: i };
      }
    }
    return best;
  }
}
