// One daxlease check of the peer script (bench/peers/script.ts), in a process of its own so
// that its CPU time and memory are its own: node dist/bench/peers/child.js F APPS BUDGET_S MAX_HEAP_MB POR (1: partial-order
// reduction, as `daxlease check` runs by default; 0: the full space).
// Prints one JSON line. The search stops cleanly when it has used BUDGET_S seconds of CPU or
// MAX_HEAP_MB of heap: the explorer's memory cap is a predicate it polls every 4096 states
// (`memoryMB` over `maxMemoryMB`), which the bench answers with "over" for either reason.
import { performance } from "node:perf_hooks";
import { parseScenario } from "../../src/scenario/parse.js";
import { checkScenario } from "../../src/explore/check.js";
import { peerScript } from "./script.js";

export interface ChildResult {
  F: number;
  apps: number;
  complete: boolean;
  /** Why it did not finish: "budget" (CPU seconds), "memory" (the heap cap), or the explorer's own reason. */
  stopped: string | null;
  states: number;
  transitions: number;
  depth: number;
  cpu: number;
  wall: number;
  /** The explorer's own figure: its visited set and graph, per state. */
  storedBytesPerState: number;
  /** Peak resident memory, and its growth over the process before the search. */
  maxRssMB: number;
  rssGrowthMB: number;
  verdicts: Record<string, string>;
  shortest: Record<string, number>;
}

function main() {
  const [F, apps, budget, maxHeapMB, por] = process.argv.slice(2).map(Number) as [number, number, number, number, number];
  const sc = parseScenario(peerScript(F, apps), `peers-f${F}-apps${apps}.scn`);
  const rss0 = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const cpuSeconds = () => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1e6; };
  let why: "budget" | "memory" | null = null;
  const r = checkScenario(sc, "rfc-v1", {
    now: () => performance.now(), por: por === 1, maxStates: 1e12, maxDepth: 1e6, maxMemoryMB: 1,
    memoryMB: () => {
      if (cpuSeconds() > budget) why = "budget";
      else if (process.memoryUsage().heapUsed / 2 ** 20 > maxHeapMB) why = "memory";
      return why === null ? 0 : 2;
    },
  });
  const cpu = cpuSeconds(), wall = (performance.now() - t0) / 1000;
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const out: ChildResult = {
    F, apps, complete: r.complete, stopped: r.stopped === "memory" ? why : r.stopped, states: r.states, transitions: r.transitions, depth: r.depth,
    cpu, wall, storedBytesPerState: r.storage.bytesPerState, maxRssMB: maxRss / 2 ** 20, rssGrowthMB: (maxRss - rss0) / 2 ** 20,
    verdicts: r.verdicts, shortest: Object.fromEntries(r.counterexamples.map((c) => [c.property, c.length])),
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main();
