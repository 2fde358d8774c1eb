// What every command that runs scripts shares: loading them (a broken one is reported at
// once and the rest still run; it makes the exit status 2 at the end), the JSON shape
// (docs/commands.md: an array of reports, each with `file` and `scenario`), exit statuses.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { Scenario } from "../scenario/ast.js";
import { ScriptError } from "../scenario/error.js";
import { parseScenario } from "../scenario/parse.js";
import { scenarioFiles, UsageError } from "./files.js";

export interface Broken { file: string; scenario: string; error: string }

export interface Loaded {
  scripts: { file: string; sc: Scenario }[];
  broken: Broken[];
}

/** The @scenario name of a script that does not parse, or its file name. */
function nameOf(file: string, text: string): string {
  return /^\s*@scenario\s+(\S+)/m.exec(text)?.[1] ?? basename(file, ".scn");
}

/** FILE|DIR arguments to parsed scripts; each broken one is said on stderr as FILE:LINE:COL. */
export function loadAll(args: string[]): Loaded {
  const out: Loaded = { scripts: [], broken: [] };
  for (const file of scenarioFiles(args)) {
    let text: string;
    try { text = readFileSync(file, "utf8"); } catch { throw new UsageError(`${file}: cannot read`); }
    try {
      out.scripts.push({ file, sc: parseScenario(text, file) });
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      process.stderr.write(e.message + "\n");
      out.broken.push({ file, scenario: nameOf(file, text), error: e.message });
    }
  }
  return out;
}

/** A report as --json prints it: `file` and `scenario` first. */
export function jsonReport<R extends { scenario: string }>(file: string, r: R): Record<string, unknown> {
  const { scenario, ...rest } = r;
  return { file, scenario, ...rest };
}

/** A script that could not be run, in the same shape. */
export function jsonBroken(b: Broken): Record<string, unknown> {
  return { file: b.file, scenario: b.scenario, policy: null, ok: null, steps: [], error: b.error };
}

export function printJson(reports: unknown[]): void {
  process.stdout.write(JSON.stringify(reports, null, 2) + "\n");
}

/**
 * The exit status of a command: 2 when a script could not be run (it comes before every
 * finding, so that a broken file is never missed), else the command's own status.
 */
export function finalStatus(loaded: Loaded, own: number): number {
  return loaded.broken.length > 0 ? 2 : own;
}

/** `; 1 not run (script error)`, or nothing. */
export function brokenNote(loaded: Loaded): string {
  return loaded.broken.length === 0 ? "" : `, ${loaded.broken.length} not run (script error)`;
}

/** A count option: an integer of at least `min`, or a usage error (exit 2). */
export function countOption(v: string, what: string, min: number): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${what} must be an integer >= ${min}, not ${v}`);
  return n;
}
