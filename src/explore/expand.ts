// One state expanded: every move, the state it leads to (its identity and its bytes), and
// what the properties say of the move and of the new state. The breadth-first search does
// this itself, or hands chunks of its queue to workers (explore/node/); it is the same code,
// so the answers are the same. No Node-only import.
import type { Machine, MState, StepOut } from "../machine/machine.js";
import { encodeMove } from "../machine/machine.js";
import { DIED } from "../kernel/entry.js";
import { encodeMState, decodeMState } from "../machine/codec.js";
import { hashLanes } from "../kernel/snapshot.js";
import { checkInvariants } from "../kernel/check.js";
import { PState } from "../kernel/include/state.js";
import { corruption, unattributed, untold, holdsLeaseOrPin } from "../props/predicates.js";
import { unrecoverable } from "../props/recoverable.js";
import { ample } from "./por.js";

/** A successor, as the search needs it. Judgement and bytes are left out for a state known to be seen. */
export interface Succ {
  move: number;
  fault: boolean;
  /** 64-bit hash as two halves, or the exact key. */
  a: number;
  b: number;
  key: string;
  /** The call's line, and what user-told and recoverable say of the call. */
  line: number;
  told: string | null;
  recov: string | null;
  /** Null when the state was known to be seen already (then nothing below is filled in). */
  bytes: Uint8Array | null;
  corr: string | null;
  vis: string | null;
  registered: boolean;
  innocent: number;
  awake: number;
}

/** The per-state facts no-innocent-hang needs: who is asleep holding nothing, and who is not asleep. */
export function sleepers(m: Machine, st: MState): { innocent: number; awake: number } {
  let innocent = 0, awake = 0;
  for (let i = 0; i < m.c.procs.length; i++) {
    const p = m.proc(st, i);
    if (p === null || p.state !== PState.Blocked) { awake |= 1 << i; continue; }
    if (!holdsLeaseOrPin(st.k, p)) innocent |= 1 << i;
  }
  return { innocent, awake };
}

/** Judges a state: invariants (a broken one throws), then its predicates and sleepers. */
export function judge(m: Machine, st: MState): Pick<Succ, "corr" | "vis" | "registered" | "innocent" | "awake"> {
  checkInvariants(st.k);
  const s = sleepers(m, st);
  return { corr: corruption(st.k), vis: unattributed(st.k), registered: st.k.pinsets.some((ps) => ps !== null), innocent: s.innocent, awake: s.awake };
}

const LANES = new Uint32Array(2);

/**
 * The move's call, and the sleeping calls that returned after it (a refusal after a wait is
 * a refusal too): the first user-told and recoverable failures among them, and the call's line.
 */
export function judgeCalls(m: Machine, c: MState, res: StepOut): { told: string | null; recov: string | null; line: number } {
  let told: string | null = null, recov: string | null = null, line = 0;
  const call = res.call;
  const outcomes = [];
  if (call !== null) {
    outcomes.push({ proc: call.prog === m.nic ? null : m.proc(c, call.prog), call: call.call.step.name, args: call.args, ret: call.res.ret, data: call.res.data ?? "" });
    line = call.call.step.line;
  }
  for (const x of res.completions) {
    const p = m.proc(c, x.proc);
    if (x.ret !== DIED && p !== null) outcomes.push({ proc: p, call: x.call, args: x.args, ret: x.ret, data: "" });
  }
  for (const o of outcomes) {
    told ??= untold(c.k, o.proc, o.call, o.args, o.ret, o.data);
    recov ??= unrecoverable(c.k, o);
  }
  return { told, recov, line };
}

/**
 * The successors of the state in `bytes` (with `por`, those of its ample set: explore/por.ts);
 * `known(a, b, key)` says whether a state was seen already (it is then neither judged nor
 * encoded). Empty when the state has no moves.
 */
export function expand(m: Machine, bytes: Uint8Array, exact: boolean, known: (a: number, b: number, key: string) => boolean, por = false): Succ[] {
  const st = decodeMState(bytes, m.pol);
  const moves = por ? ample(m, st) : m.moves(st);
  const out: Succ[] = [];
  for (const mv of moves) {
    const c = m.clone(st);
    const res = m.step(c, mv);
    const { told, recov, line } = judgeCalls(m, c, res);
    let a = 0, b = 0, key = "";
    if (exact) key = m.key(c);
    else { hashLanes(c.k, () => m.extra(c), LANES); a = LANES[0]!; b = LANES[1]!; }
    const s: Succ = { move: encodeMove(mv), fault: m.isFault(mv), a, b, key, line, told, recov, bytes: null, corr: null, vis: null, registered: false, innocent: 0, awake: 0 };
    if (!known(a, b, key)) Object.assign(s, judge(m, c), { bytes: encodeMState(c) });
    out.push(s);
  }
  return out;
}

/** Successors of a chunk of states, packed for a message between threads: numbers, strings and bytes apart. */
export interface Packed { counts: Int32Array; nums: Float64Array; strs: (string | null)[]; bytes: Uint8Array }

const NUMS = 9;

export function pack(lists: Succ[][]): Packed {
  const total = lists.reduce((n, l) => n + l.length, 0);
  const counts = new Int32Array(lists.length);
  const nums = new Float64Array(total * NUMS);
  const strs: (string | null)[] = [];
  let size = 0;
  for (const l of lists) for (const x of l) size += x.bytes?.length ?? 0;
  const bytes = new Uint8Array(size);
  let i = 0, off = 0;
  lists.forEach((l, k) => {
    counts[k] = l.length;
    for (const x of l) {
      const n = x.bytes?.length ?? -1;
      nums.set([x.move, x.fault ? 1 : 0, x.a, x.b, x.line, x.registered ? 1 : 0, x.innocent, x.awake, n], i * NUMS);
      strs.push(x.key === "" ? null : x.key, x.told, x.recov, x.corr, x.vis);
      if (x.bytes !== null) { bytes.set(x.bytes, off); off += x.bytes.length; }
      i++;
    }
  });
  return { counts, nums, strs, bytes };
}

export function unpack(p: Packed): Succ[][] {
  const out: Succ[][] = [];
  let i = 0, off = 0;
  for (let k = 0; k < p.counts.length; k++) {
    const l: Succ[] = [];
    for (let j = 0; j < p.counts[k]!; j++, i++) {
      const v = p.nums.subarray(i * NUMS, i * NUMS + NUMS);
      const n = v[8]!;
      const bytes = n < 0 ? null : p.bytes.subarray(off, off + n);
      if (n > 0) off += n;
      const s = p.strs;
      l.push({ move: v[0]!, fault: v[1] === 1, a: v[2]!, b: v[3]!, key: s[i * 5] ?? "", line: v[4]!, told: s[i * 5 + 1]!, recov: s[i * 5 + 2]!,
        bytes, corr: s[i * 5 + 3]!, vis: s[i * 5 + 4]!, registered: v[5] === 1, innocent: v[6]!, awake: v[7]! });
    }
    out.push(l);
  }
  return out;
}
