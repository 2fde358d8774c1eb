// `daxlease run`: scenarios on the model. A failed property shows in every output: under
// its step, on the file's line, in the summary and in --json; one that no @expect line
// allows fails the run (src/run/model.ts).
import type { Command } from "commander";
import { pc } from "./colors.js";
import type { Scenario } from "../scenario/ast.js";
import { formatReport, type RunReport } from "../scenario/report.js";
import { runOnModel } from "../run/model.js";
import { parsePolicy } from "../policy/registry.js";
import { PROPERTIES } from "../props/names.js";
import { UsageError } from "./files.js";
import { brokenNote, finalStatus, jsonBroken, jsonReport, loadAll, printJson } from "./batch.js";

export function policyArg(name: string): string {
  const p = parsePolicy(name);
  if (typeof p === "string") throw new UsageError(p);
  return name;
}

/** Each property that failed, or that held where @expect says it fails, as a phrase. */
export function propertyNotes(sc: Scenario, r: RunReport): { text: string; expected: boolean }[] {
  const out: { text: string; expected: boolean }[] = [];
  for (const p of PROPERTIES) {
    const v = (r.violations ?? []).find((x) => x.property === p);
    const e = sc.expects.find((x) => x.property === p);
    if (v !== undefined) out.push({ text: `${p} fails at line ${v.line}`, expected: e !== undefined && !e.holds });
    else if (e !== undefined && !e.holds) out.push({ text: `${p} holds (@expect says it fails)`, expected: false });
  }
  return out;
}

/** `ok  FILE`, `ok  FILE  (as @expect says: ...)`, `FAILED  FILE: line 12 did not go as written; ...`. */
function fileLine(file: string, sc: Scenario, r: RunReport): string {
  const notes = propertyNotes(sc, r);
  if (r.ok) {
    const said = notes.map((n) => n.text).join(", ");
    return `${pc.green("ok")}      ${file}${said === "" ? "" : pc.yellow(`  (as @expect says: ${said})`)}`;
  }
  const parts: string[] = [];
  const step = r.steps.find((s) => !s.ok);
  if (step !== undefined) parts.push(`line ${step.line} did not go as written`);
  for (const n of notes) parts.push(n.expected ? `${n.text} (as @expect says)` : n.text);
  return pc.red(`FAILED  ${file}: ${parts.join("; ")}`);
}

function cmdRun(files: string[], opts: { policy?: string; json?: boolean }): number {
  const policy = opts.policy === undefined ? undefined : policyArg(opts.policy);
  const loaded = loadAll(files);
  const json: unknown[] = loaded.broken.map(jsonBroken);
  const single = loaded.scripts.length + loaded.broken.length === 1;
  let passed = 0, failed = 0;
  const props = new Map<string, { n: number; expected: number }>();
  for (const { file, sc } of loaded.scripts) {
    // Without --policy, each script runs under the policy it is written for (@policy, default linux).
    const r = runOnModel(sc, policy ?? sc.policy).report;
    if (r.ok) passed++;
    else failed++;
    for (const v of r.violations ?? []) {
      const c = props.get(v.property) ?? { n: 0, expected: 0 };
      c.n++;
      if (sc.expects.some((e) => e.property === v.property && !e.holds)) c.expected++;
      props.set(v.property, c);
    }
    if (opts.json) json.push(jsonReport(file, r));
    else if (single) process.stdout.write(formatReport(r, (s, ok) => (ok ? s : pc.red(s))) + "\n");
    else process.stdout.write(fileLine(file, sc, r) + "\n");
  }
  if (opts.json) printJson(json);
  else if (!single) {
    process.stdout.write(`${passed} passed, ${failed} failed${brokenNote(loaded)}\n`);
    if (props.size > 0) {
      const list = [...props].map(([p, c]) => `${p} in ${c.n} script${c.n === 1 ? "" : "s"}${c.expected > 0 ? ` (${c.expected} as @expect says)` : ""}`);
      process.stdout.write(`failed properties: ${list.join(", ")}\n`);
    }
  }
  return finalStatus(loaded, failed > 0 ? 1 : 0);
}

export function registerRunCommand(program: Command, done: (code: number) => void) {
  program.command("run").description("run scenarios on the model; exit 1 when a step or a property did not go as the script says")
    .argument("<files...>", "scenario files or directories")
    .option("--policy <name>", "the policy to run under (default: the script's @policy, or linux)")
    .option("--json", "print an array of reports (docs/commands.md)")
    .addHelpText("after", `
A property that fails fails the run unless an @expect line says it fails.
Exit status: 0 every step and property as the script says, 1 one was not,
2 a script or an option is wrong (FILE:LINE:COL), 70 a bug in the model.`)
    .action((files: string[], opts: { policy?: string; json?: boolean }) => { done(cmdRun(files, opts)); });
}
