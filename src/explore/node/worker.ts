// A worker thread of the parallel breadth-first search (Node's worker_threads): it expands
// the chunks of states it is sent, and knows the states seen so far from the hashes the
// search sends it after each level, plus the ones it made itself.
import { parentPort, workerData } from "node:worker_threads";
import type { Scenario } from "../../scenario/ast.js";
import { Machine } from "../../machine/machine.js";
import { compile } from "../../machine/program.js";
import { policyNamed } from "../../policy/registry.js";
import { expand, pack } from "../expand.js";
import { HashVisited } from "../visited.js";

const { sc, policy, exact } = workerData as { sc: Scenario; policy: string; exact: boolean };
const m = new Machine(compile(sc), policyNamed(policy), { handlers: true });
let hashes = new HashVisited();
const keys = new Set<string>();
const known = (a: number, b: number, key: string): boolean => {
  if (exact) { if (keys.has(key)) return true; keys.add(key); return false; }
  return hashes.findOrAdd(a, b, 0) >= 0;
};

parentPort!.on("message", (msg: { id: number; states: Uint8Array[]; por: boolean; reset: boolean; seen?: Float64Array; seenKeys?: string[] }) => {
  if (msg.reset) { hashes = new HashVisited(); keys.clear(); }
  if (msg.seen !== undefined) for (let i = 0; i < msg.seen.length; i += 2) hashes.findOrAdd(msg.seen[i]!, msg.seen[i + 1]!, 0);
  if (msg.seenKeys !== undefined) for (const k of msg.seenKeys) keys.add(k);
  try {
    const p = pack(msg.states.map((bytes) => expand(m, bytes, exact, known, msg.por)));
    parentPort!.postMessage({ id: msg.id, packed: p }, [p.counts.buffer as ArrayBuffer, p.nums.buffer as ArrayBuffer, p.bytes.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ id: msg.id, error: e instanceof Error ? `${e.constructor.name}: ${e.message}\n${e.stack}` : String(e) });
  }
});
