// The search: every reachable state of a script under one policy (breadth first by default,
// so each property's first failure is found by a shortest run; depth first to save memory;
// or seeded random walks for spaces too big to finish), the five properties judged on the way,
// and no-innocent-hang judged on the reachable graph once it is complete.
import { encodeMove, decodeMove, type Machine, type MState, type Move, type StepOut } from "../machine/machine.js";
import { expand, judge, judgeCalls, sleepers, type Succ } from "./expand.js";
import { assert } from "../kernel/include/assert.js";
import type { Property } from "../props/names.js";
import { PROPERTIES } from "../props/names.js";
import { corruption, unattributed } from "../props/predicates.js";
import { checkInvariants } from "../kernel/check.js";
import { HashVisited, ExactVisited } from "./visited.js";
import { Graph } from "./graph.js";
import { hashLanes } from "../kernel/snapshot.js";
import { encodeMState } from "../machine/codec.js";
import { ample } from "./por.js";

export type Mode = "bfs" | "dfs" | "random";
export type Verdict = "holds" | "fails" | "unknown";

export interface SearchOptions {
  mode: Mode;
  maxStates: number;
  maxDepth: number;
  /** Stop cleanly when `memoryMB()` passes this (0: no cap). */
  maxMemoryMB: number;
  memoryMB?: () => number;
  /** Store full canonical keys instead of 64-bit hashes. */
  exact: boolean;
  /** Partial-order reduction (explore/por.ts), for the breadth- and depth-first searches. */
  por: boolean;
  seed: number;
  walks: number;
  /** Random walks only: this job runs walk w when w % N === I ([I, N]); N jobs together run them all. */
  shard: [number, number];
  /** Called about once a second (wall clock) while the search runs. */
  progress?: (p: Progress) => void;
  /** How often `progress` is called, in ms of `now()` (default 1000; a progress bar wants more). */
  progressMs?: number;
  now?: () => number;
}

export interface Progress { states: number; transitions: number; depth: number; seconds: number }

/** A property's first failure: the run that leads to it (moves from the start), and what went wrong. */
export interface Finding { property: Property; moves: Move[]; detail: string; line: number }

export interface SearchResult {
  complete: boolean;
  /** Why it is not: a bound, the memory cap, or random walks (which never finish). */
  stopped: "states" | "depth" | "memory" | "random" | null;
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  verdicts: Record<Property, Verdict>;
  findings: Finding[];
  storage: { exact: boolean; bytesPerState: number; missProbability: number };
  /** Some reached state had a memory region or fixed buffer registered (false: the policy refused every one the script tried). */
  pinned: boolean;
  /**
   * With partial-order reduction, the plain breadth-first search that confirmed the shortest
   * runs (explore/shortest.ts): its states and time (part of `seconds`), and whether it
   * finished (null: none ran).
   */
  confirm: { states: number; seconds: number; complete: boolean } | null;
}

export const DEFAULTS: SearchOptions = { mode: "bfs", maxStates: 2_000_000, maxDepth: 1000, maxMemoryMB: 0, exact: false, por: false, seed: 1, walks: 1000, shard: [0, 1] };

/** Mulberry32: a small seeded generator (the walks are reproducible from --seed). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Search {
  readonly findings = new Map<Property, Finding>();
  readonly graph: Graph;
  private visitedHash: HashVisited | null;
  private visitedExact: ExactVisited | null;
  private lanes = new Uint32Array(2);
  private transitions = 0;
  private maxDepth = 0;
  stopped: SearchResult["stopped"] = null;
  /** Called when every state of a breadth-first depth has been made; true stops the search there. */
  levelDone: ((depth: number) => boolean) | null = null;
  private pinned = false;
  private start: number;
  private lastReport: number;
  private readonly clock: () => number;

  constructor(private m: Machine, readonly o: SearchOptions) {
    this.graph = new Graph(m.c.procs.length);
    this.visitedHash = o.exact ? null : new HashVisited();
    this.visitedExact = o.exact ? new ExactVisited() : null;
    this.clock = o.now ?? (() => 0);
    this.start = this.clock();
    this.lastReport = this.start;
  }

  get states(): number {
    return this.graph.size;
  }

  /** The node of a state seen, by its identity (as expand gives it), or -1. */
  nodeOf(a: number, b: number, key: string): number {
    return this.visitedExact !== null ? this.visitedExact.get(key) : this.visitedHash!.get(a, b);
  }

  /** The moves explored from a state. */
  private movesOf(st: MState): Move[] {
    return this.o.por ? ample(this.m, st) : this.m.moves(st);
  }

  /** The node of an equal state seen before, or -1 after adding this one as `node`. */
  private seen(st: MState, node: number): number {
    if (this.visitedExact !== null) return this.visitedExact.findOrAdd(this.m.key(st), node);
    hashLanes(st.k, () => this.m.extra(st), this.lanes);
    return this.visitedHash!.findOrAdd(this.lanes[0]!, this.lanes[1]!, node);
  }

  /** The first failure found of each property (random walks: the shortest, the earlier walk on a tie). */
  private record(property: Property, moves: () => Move[], detail: string, line: number) {
    const had = this.findings.get(property);
    if (had !== undefined && (this.o.mode !== "random" || had.moves.length <= moves().length)) return;
    this.findings.set(property, { property, moves: moves(), detail, line });
  }

  /** A new state: invariants, then the state's predicates. */
  private judgeState(st: MState, path: () => Move[], line: number) {
    checkInvariants(st.k);
    if (!this.pinned) this.pinned = st.k.pinsets.some((ps) => ps !== null);
    const c = corruption(st.k);
    if (c !== null) this.record("no-corruption", path, c, line);
    const v = unattributed(st.k);
    if (v !== null) this.record("pinner-visible", path, v, line);
  }

  /** A move's call and the sleeping calls it let return: the predicates over them and the state left (expand.ts judgeCalls). */
  private judgeMove(st: MState, out: StepOut, path: () => Move[]) {
    const { told, recov, line } = judgeCalls(this.m, st, out);
    if (told !== null) this.record("user-told", path, told, line);
    if (recov !== null) this.record("recoverable", path, recov, line);
  }

  private tick(depth: number) {
    if (depth > this.maxDepth) this.maxDepth = depth;
    if (this.o.progress === undefined || (this.states & 1023) !== 0) return;
    const now = this.clock();
    if (now - this.lastReport < (this.o.progressMs ?? 1000)) return;
    this.lastReport = now;
    this.o.progress({ states: this.states, transitions: this.transitions, depth: this.maxDepth, seconds: (now - this.start) / 1000 });
  }

  private overMemory(): boolean {
    if (this.o.maxMemoryMB <= 0 || this.o.memoryMB === undefined || (this.states & 4095) !== 0) return false;
    return this.o.memoryMB() > this.o.maxMemoryMB;
  }

  private lineOf(out: StepOut): number {
    return out.call?.call.step.line ?? 0;
  }

  /** Finds or adds a successor's identity: the node of an equal state seen before, or -1 after adding `node`. */
  private seenSucc(x: Succ, node: number): number {
    if (this.visitedExact !== null) return this.visitedExact.findOrAdd(x.key, node);
    return this.visitedHash!.findOrAdd(x.a, x.b, node);
  }

  /** Whether a state was seen (for expand: it then neither judges nor encodes it). */
  readonly known = (a: number, b: number, key: string): boolean =>
    this.visitedExact !== null ? this.visitedExact.has(key) : this.visitedHash!.has(a, b);

  /** The start of a breadth-first search: the first level. */
  private root(): { node: number; st: Uint8Array }[] {
    const root = this.m.boot();
    this.seen(root, 0);
    const j = judge(this.m, root);
    this.graph.add(-1, -1, 0, j);
    this.judged(j, () => [], 0);
    return [{ node: 0, st: encodeMState(root) }];
  }

  /**
   * The successors of node u (at `depth`), in order: the transitions recorded, the new states
   * queued (as bytes: a tree of objects per queued state made the garbage collector take half
   * the time). False when a bound stops the search.
   */
  private accept(u: number, depth: number, list: Succ[], next: { node: number; st: Uint8Array }[]): boolean {
    if (list.length === 0) return true;
    if (depth >= this.o.maxDepth) { this.stopped ??= "depth"; return true; }
    for (const x of list) {
      this.transitions++;
      const path = () => [...this.graph.path(u), decodeMove(x.move)];
      if (x.told !== null) this.record("user-told", path, x.told, x.line);
      if (x.recov !== null) this.record("recoverable", path, x.recov, x.line);
      const v0 = this.seenSucc(x, this.states);
      if (v0 >= 0) { this.graph.edge(u, v0, x.fault); continue; }
      assert(x.bytes !== null, "a new state came without its bytes");
      const v = this.graph.add(u, x.move, depth + 1, x);
      this.graph.edge(u, v, x.fault);
      this.judged(x, path, x.line);
      next.push({ node: v, st: x.bytes });
      this.tick(depth + 1);
      if (this.states >= this.o.maxStates) { this.stopped = "states"; return false; }
      if (this.overMemory()) { this.stopped = "memory"; return false; }
    }
    return true;
  }

  /** Breadth first, level by level, so the first failure of each property has a shortest run. */
  bfs() {
    let level = this.root();
    if (this.levelDone?.(0)) return;
    for (let depth = 0; level.length > 0; depth++) {
      const next: { node: number; st: Uint8Array }[] = [];
      for (const { node, st } of level) if (!this.accept(node, depth, expand(this.m, st, this.o.exact, this.known, this.o.por), next)) return;
      level = next;
      if (this.levelDone?.(depth + 1)) return;
    }
  }

  /** The same, with each level's states expanded elsewhere (workers), and their successors taken in order. */
  async bfsWith(expandLevel: LevelExpander) {
    let level = this.root();
    if (this.levelDone?.(0)) return;
    for (let depth = 0; level.length > 0; depth++) {
      const next: { node: number; st: Uint8Array }[] = [];
      let stop = false;
      await expandLevel(level.map((x) => x.st), this.known, (k, list) => {
        if (!stop && !this.accept(level[k]!.node, depth, list, next)) stop = true;
        return !stop;
      }, { por: this.o.por, depth });
      if (stop) return;
      level = next;
      if (this.levelDone?.(depth + 1)) return;
    }
  }

  /** A new state's judgement, recorded. */
  private judged(j: { corr: string | null; vis: string | null; registered: boolean }, path: () => Move[], line: number) {
    if (j.registered) this.pinned = true;
    if (j.corr !== null) this.record("no-corruption", path, j.corr, line);
    if (j.vis !== null) this.record("pinner-visible", path, j.vis, line);
  }

  /** Depth first: only the current path's states are held (the graph keeps every edge). */
  dfs() {
    const root = this.m.boot();
    this.seen(root, 0);
    this.graph.add(-1, -1, 0, sleepers(this.m, root));
    this.judgeState(root, () => [], 0);
    const stack: { node: number; st: MState; moves: Move[]; next: number; depth: number }[] = [{ node: 0, st: root, moves: this.movesOf(root), next: 0, depth: 0 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next >= top.moves.length) { stack.pop(); continue; }
      if (top.depth >= this.o.maxDepth) { this.stopped ??= "depth"; stack.pop(); continue; }
      const mv = top.moves[top.next++]!;
      const c = this.m.clone(top.st);
      const out = this.m.step(c, mv);
      this.transitions++;
      const u = top.node;
      const path = () => [...this.graph.path(u), mv];
      this.judgeMove(c, out, path);
      const v0 = this.seen(c, this.states);
      const v = v0 < 0 ? this.graph.add(u, encodeMove(mv), top.depth + 1, sleepers(this.m, c)) : v0;
      this.graph.edge(u, v, this.m.isFault(mv));
      if (v0 >= 0) continue;
      this.judgeState(c, path, this.lineOf(out));
      stack.push({ node: v, st: c, moves: this.movesOf(c), next: 0, depth: top.depth + 1 });
      this.tick(top.depth + 1);
      if (this.states >= this.o.maxStates) { this.stopped = "states"; return; }
      if (this.overMemory()) { this.stopped = "memory"; return; }
    }
  }

  /** Seeded random walks: no space is finished, so nothing is ever found to hold. */
  random() {
    this.stopped = "random";
    const counted = new HashVisited();
    const lanes = new Uint32Array(2);
    const [shard, shards] = this.o.shard;
    for (let w = shard; w < this.o.walks; w += shards) {
      // Each walk has its own generator, seeded by --seed and its number: a shard runs the
      // same walks it would run in one job.
      const next = rng(Math.imul(this.o.seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(w + 1, 0x85ebca6b));
      // Swarm (as SPIN's swarm verification): each walk leaves out some of the @any moves, so
      // that a walk is not always cut short by the same fault.
      const on = this.m.c.anys.map(() => next() < 0.5);
      let st = this.m.boot();
      const moves: Move[] = [];
      for (let depth = 0; depth < this.o.maxDepth; depth++) {
        const all = this.m.moves(st);
        if (!all.some((mv) => !this.m.isFault(mv))) this.terminalHang(st, moves);
        const options = all.filter((mv) => mv.k !== "any" || on[mv.i]);
        if (options.length === 0) break;
        const mv = options[Math.floor(next() * options.length)]!;
        const c = this.m.clone(st);
        const out = this.m.step(c, mv);
        this.transitions++;
        moves.push(mv);
        const path = () => moves.slice();
        this.judgeMove(c, out, path);
        this.judgeState(c, path, this.lineOf(out));
        hashLanes(c.k, () => this.m.extra(c), lanes);
        if (counted.findOrAdd(lanes[0]!, lanes[1]!, counted.size) < 0) this.graph.count();
        this.tick(depth + 1);
        st = c;
      }
    }
  }

  /** A state where nothing but faults can move, with an innocent process asleep: a hang for certain. */
  private terminalHang(st: MState, moves: Move[]) {
    const { innocent } = sleepers(this.m, st);
    if (innocent === 0) return;
    const i = Math.log2(innocent & -innocent);
    const p = this.m.proc(st, i)!;
    this.record("no-innocent-hang", () => moves.slice(), hangDetail(this.m, st, i, p.wait?.call ?? ""), 0);
  }

  result(): SearchResult {
    const complete = this.stopped === null;
    if (complete && this.o.mode !== "random") {
      const hung = this.graph.hangs();
      if (hung !== null) {
        const moves = this.graph.path(hung.node);
        const st = replayState(this.m, moves);
        this.record("no-innocent-hang", () => moves, hangDetail(this.m, st, hung.proc, this.m.proc(st, hung.proc)?.wait?.call ?? ""), 0);
      }
    }
    const verdicts = {} as Record<Property, Verdict>;
    for (const p of PROPERTIES) verdicts[p] = this.findings.has(p) ? "fails" : complete ? "holds" : "unknown";
    // What each stored state costs: its identity in the visited set (a 64-bit hash in a table
    // kept at most half full, or its exact key) and its node and edges in the graph.
    const perState = this.visitedExact !== null ? this.visitedExact.bytesPerState() : 24;
    const bytes = perState + this.graph.bytesPerState(this.transitions);
    return {
      complete, stopped: this.stopped, states: this.states, transitions: this.transitions, depth: this.maxDepth,
      seconds: (this.clock() - this.start) / 1000,
      verdicts, findings: PROPERTIES.filter((p) => this.findings.has(p)).map((p) => this.findings.get(p)!),
      storage: {
        exact: this.o.exact, bytesPerState: this.o.mode === "random" ? 0 : Math.round(bytes),
        missProbability: this.o.exact || this.o.mode === "random" ? 0 : HashVisited.missProbability(this.states),
      },
      pinned: this.pinned,
      confirm: null,
    };
  }
}

export function hangDetail(m: Machine, st: MState, i: number, call: string): string {
  const name = m.c.procs[i]!.name;
  const wait = m.proc(st, i)?.wait;
  const untimed = wait !== null && wait !== undefined && wait.wake < 0;
  const sysctl = untimed && wait.kind === "lease" && st.k.leaseBreakTime <= 0 ? " (fs.lease-break-time=0 gives this wait no timeout)" : "";
  return `${name} waits in ${call || "its call"} while holding no lease and no pin, and no sequence of moves (other than @any faults) wakes it${sysctl}`;
}

/** The state a run of moves leads to. */
export function replayState(m: Machine, moves: readonly Move[]): MState {
  const st = m.boot();
  for (const mv of moves) m.step(st, mv);
  return st;
}

/**
 * Expands a level of states elsewhere (workers): calls `take(k, successors)` for k = 0, 1, ...
 * in order; `take` returns false when the search stops. `known` says which states were seen.
 */
export type LevelExpander = (level: Uint8Array[], known: (a: number, b: number, key: string) => boolean,
  take: (k: number, list: Succ[]) => boolean, how: { por: boolean; depth: number }) => Promise<void>;
