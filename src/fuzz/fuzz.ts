// Differential fuzzing: random scripts from a generator run through a judge (the model
// against the kernel, for `daxlease fuzz`); the first script they disagree on is shrunk by
// fast-check to a shortest one that still disagrees. What the scripts reached is counted.
import fc from "fast-check";
import { GENERATORS } from "./gen.js";
import { Reach, reachOf } from "./reach.js";

/** The judge: the lines where the two sides differ, or null when the script was skipped. */
export type Judge = (text: string) => Promise<string[] | null>;

export interface FuzzOptions { kind: string; runs: number; seed: number; maxLines: number; judge: Judge }

export interface FuzzResult {
  /** Scripts generated (shrinking runs not counted). */
  runs: number;
  skipped: number;
  /** What the generated scripts reached on the model. */
  reached: Reach;
  /** The shortest disagreeing script found, with its differences, and how many shrink steps led there. */
  found: { script: string; diff: string[]; shrinks: number } | null;
}

export async function fuzz(o: FuzzOptions): Promise<FuzzResult> {
  const g = Object.hasOwn(GENERATORS, o.kind) ? GENERATORS[o.kind] : undefined;
  if (g === undefined) throw new Error(`unknown generator ${o.kind} (${Object.keys(GENERATORS).join(", ")})`);
  let skipped = 0;
  let shrinking = false;
  let runs = 0;
  let error: unknown = null;
  const reached = new Reach();
  const prop = fc.asyncProperty(g.lines(o.maxLines), async (lines) => {
    if (error !== null) return true; // a broken judge stops the search; it is rethrown below
    const text = g.script(lines);
    if (!shrinking) { runs++; reached.add(reachOf(text)); }
    let d: string[] | null;
    try { d = await o.judge(text); } catch (e) { error = e; return true; }
    if (d === null) { if (!shrinking) skipped++; return true; }
    if (d.length > 0) shrinking = true;
    return d.length === 0;
  });
  const out = await fc.check(prop, { numRuns: o.runs, seed: o.seed });
  if (error !== null) throw error;
  if (!out.failed || out.counterexample === null) return { runs, skipped, reached, found: null };
  // fast-check shrinks an array from its front and its elements one by one; a last pass
  // drops single steps anywhere while the two sides still disagree.
  let lines = out.counterexample[0];
  let shrinks = out.numShrinks;
  for (let i = lines.length - 1; i >= 0 && lines.length > 1; i--) {
    const fewer = lines.filter((_, j) => j !== i);
    const d = await o.judge(g.script(fewer));
    if (d !== null && d.length > 0) { lines = fewer; shrinks++; }
  }
  // The kernel's timing can make a difference come and go: the last judgement is the one shown.
  const script = g.script(lines);
  const diff = (await o.judge(script)) ?? [];
  return { runs, skipped, reached, found: { script, diff: diff.length > 0 ? diff : ["(not reproduced on the last run: the difference depends on timing)"], shrinks } };
}
