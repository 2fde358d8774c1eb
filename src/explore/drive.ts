/**
 * The search as check runs it: the reduced search, then (breadth first, with partial-order
 * reduction) the plain search that confirms the shortest runs (explore/shortest.ts).
 * Apart from search.ts so that shortest.ts can use the Search class without a circle.
 */
import { Search, DEFAULTS, type LevelExpander, type SearchOptions, type SearchResult } from "./search.js";
import { confirmPlan } from "./shortest.js";
import type { Machine } from "../machine/machine.js";

/** The search, in this thread. */
export function search(m: Machine, opts: Partial<SearchOptions> = {}): SearchResult {
  const o: SearchOptions = { ...DEFAULTS, ...opts };
  if (o.mode === "random") o.por = false;
  const s = new Search(m, o);
  if (o.mode === "bfs") s.bfs();
  else if (o.mode === "dfs") s.dfs();
  else s.random();
  if (!o.por) return s.result();
  // A depth bound counts the reduced runs' steps, which may be more than the shortest run's:
  // the search is made again without reduction, so that the bound means what it says.
  if (s.stopped === "depth") return search(m, { ...opts, por: false });
  const r = s.result();
  if (o.mode !== "bfs") return r;
  const plan = confirmPlan(m, s, r);
  if (plan === null) return r;
  plan.plain.bfs();
  return plan.finish();
}

/** Breadth first with the levels expanded elsewhere (workers): the same answers as search(). */
export async function searchWith(m: Machine, opts: Partial<SearchOptions>, expandLevel: LevelExpander): Promise<SearchResult> {
  const o: SearchOptions = { ...DEFAULTS, ...opts, mode: "bfs" };
  const s = new Search(m, o);
  await s.bfsWith(expandLevel);
  if (!o.por) return s.result();
  if (s.stopped === "depth") return searchWith(m, { ...opts, por: false }, expandLevel);
  const r = s.result();
  const plan = confirmPlan(m, s, r);
  if (plan === null) return r;
  await plan.plain.bfsWith(expandLevel);
  return plan.finish();
}
