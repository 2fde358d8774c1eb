// The parallel breadth-first search on Node: each level's states go out in chunks to worker
// threads (worker.ts), and their successors are taken back in order, so the answers (states,
// verdicts, counterexamples) are exactly those of the search in one thread.
import { Worker } from "node:worker_threads";
import type { Scenario } from "../../scenario/ast.js";
import { unpack, type Packed, type Succ } from "../expand.js";
import type { LevelExpander } from "../search.js";
import { ModelBug } from "../../kernel/include/assert.js";

export interface Pool { expand: LevelExpander; close(): Promise<void> }

export function workerPool(n: number, sc: Scenario, policy: string, exact: boolean): Pool {
  const url = new URL("./worker.js", import.meta.url);
  const workers = Array.from({ length: n }, () => new Worker(url, { workerData: { sc, policy, exact } }));
  let nextId = 0;
  /** Hashes of the states made since the last level, for every worker to know. */
  let fresh: number[] = [];
  /** Workers still to be told, with their next chunk, that a new search began. */
  const unreset = new Set<Worker>();
  let freshKeys: string[] = [];
  const pending = new Map<number, (r: { packed?: Packed; error?: string }) => void>();
  for (const w of workers) w.on("message", (r: { id: number; packed?: Packed; error?: string }) => { pending.get(r.id)?.(r); pending.delete(r.id); });
  const send = (w: Worker, states: Uint8Array[], first: boolean, por: boolean, reset: boolean): Promise<Succ[][]> => {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, (r) => (r.error !== undefined ? reject(new ModelBug(r.error)) : resolve(unpack(r.packed!))));
      const msg: { id: number; states: Uint8Array[]; por: boolean; reset: boolean; seen?: Float64Array; seenKeys?: string[] } = { id, states, por, reset };
      if (first) { msg.seen = new Float64Array(fresh); msg.seenKeys = freshKeys; }
      w.postMessage(msg);
    });
  };
  const expand: LevelExpander = async (level, _known, take, how) => {
    // A search starts at depth 0: what the workers knew of an earlier one (the confirming
    // search after a reduced one) is forgotten.
    if (how.depth === 0) { fresh = []; freshKeys = []; for (const w of workers) unreset.add(w); }
    const chunk = Math.max(8, Math.min(512, Math.ceil(level.length / (workers.length * 8))));
    const chunks: Promise<Succ[][]>[] = [];
    const told = new Set<Worker>();
    for (let i = 0, k = 0; i < level.length; i += chunk, k++) {
      const w = workers[k % workers.length]!;
      chunks.push(send(w, level.slice(i, i + chunk), !told.has(w), how.por, unreset.delete(w)));
      told.add(w);
    }
    fresh = [];
    freshKeys = [];
    let k = 0;
    for (const c of chunks) {
      const lists = await c;
      for (const list of lists) {
        for (const x of list) if (x.bytes !== null) { if (exact) freshKeys.push(x.key); else fresh.push(x.a, x.b); }
        if (!take(k++, list)) return;
      }
    }
  };
  return { expand, close: async () => { await Promise.all(workers.map((w) => w.terminate())); } };
}
