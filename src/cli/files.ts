// Finding scenario files on the command line.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export class UsageError extends Error {}

/** FILE or DIR arguments to a sorted list of .scn files (directories recursively). */
export function scenarioFiles(args: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir).sort()) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".scn")) out.push(p);
    }
  };
  for (const a of args) {
    let st;
    try { st = statSync(a); } catch { throw new UsageError(`${a}: no such file or directory`); }
    if (st.isDirectory()) walk(a);
    else out.push(a);
  }
  if (out.length === 0) throw new UsageError(`no .scn files in ${args.join(" ")}`);
  return out;
}
