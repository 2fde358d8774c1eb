// `daxlease matrix` (npm start): every scenario under every policy, one table per corpus
// (directory), at most 120 columns. Rows where every cell held are left out unless --all.
import type { Command } from "commander";
import { dirname, join, relative } from "node:path";
import { pc } from "./colors.js";
import type { RunReport } from "../scenario/report.js";
import { runOnModel } from "../run/model.js";
import { ALL } from "../policy/registry.js";
import { packageRoot } from "../oracle/build.js";
import { policyArg } from "./run_cmd.js";
import { Progress } from "./progress.js";
import { brokenNote, finalStatus, jsonBroken, jsonReport, loadAll, printJson } from "./batch.js";

export const WIDTH = 120;
const CELL = 8;

const SHORT: Record<string, string> = {
  "no-corruption": "C", "user-told": "T", "pinner-visible": "V", "recoverable": "R", "no-innocent-hang": "H",
};

/** A cell's parts: `@LINE` for the first step that did not go as written, then each failed property with its line. */
export function cellParts(r: RunReport): string[] {
  const parts: string[] = [];
  const f = r.steps.find((s) => !s.ok);
  if (f !== undefined) parts.push(`@${f.line}`);
  for (const v of r.violations ?? []) parts.push(`${SHORT[v.property] ?? v.property}${v.line}`);
  if (parts.length === 0 && !r.ok) parts.push("expect"); // an @expect ... fails that held
  return parts;
}

/** The parts that fit in `width`, and `+` when some did not. */
export function fitCell(parts: string[], width: number): string {
  if (parts.length === 0) return "held";
  let text = "";
  for (let i = 0; i < parts.length; i++) {
    const next = text === "" ? parts[i]! : `${text} ${parts[i]}`;
    const room = i === parts.length - 1 ? width : width - 1; // leave room for the +
    if (next.length > room) return (text === "" ? parts[i]!.slice(0, width - 1) : text) + "+";
    text = next;
  }
  return text;
}

/** `--policy linux,sticky,close=revoke --policy odp`: commas split policies, except before an option (k=v). */
export function policyList(values: string[]): string[] {
  const out: string[] = [];
  for (const v of values)
    for (const t of v.split(",")) {
      if (t.includes("=") && out.length > 0) out[out.length - 1] += `,${t}`;
      else if (t !== "") out.push(t);
    }
  return out.map(policyArg);
}

/** Two header lines, the policy names staggered so that each may be wider than its column. */
function header(nameW: number, names: string[]): string[] {
  const rows = [" ".repeat(nameW), "scenario".padEnd(nameW)];
  names.forEach((n, i) => {
    const r = i % 2;
    const at = nameW + 1 + i * (CELL + 1);
    // A name may reach into the next column, which is empty on its line; the last two, to the edge.
    rows[r] = rows[r]!.padEnd(at) + n.slice(0, i >= names.length - 2 ? Math.max(CELL, WIDTH - at) : 2 * CELL + 1);
  });
  return rows.map((l) => l.trimEnd());
}

interface Opts { policy?: string[]; all?: boolean; json?: boolean }

function cmdMatrix(dirs: string[], o: Opts): number {
  const names = o.policy === undefined ? ALL.map((p) => p.name) : policyList(o.policy);
  // The bundled scenarios, named from here when they are below (npm start: scenarios/linux).
  // scenarios/explore is the verdict's corpus (daxlease verdict): its scripts are about every order.
  const bundled = join(packageRoot(), "scenarios"), rel = relative(process.cwd(), bundled);
  const base = rel !== "" && !rel.startsWith("..") ? rel : bundled;
  const loaded = loadAll(dirs.length > 0 ? dirs : [join(base, "linux"), join(base, "proposals")]);
  const n = loaded.scripts.length;
  const longest = Math.max(8, ...loaded.scripts.map((s) => s.sc.name.length));
  const nameW = Math.min(longest, WIDTH - names.length * (CELL + 1));
  const json: unknown[] = loaded.broken.map(jsonBroken);
  const progress = new Progress(n, "scenarios");
  const out = (s: string) => { if (!o.json) progress.print(s); };
  let held = 0, rowsHeld = 0;
  const props = new Map<string, Map<string, number>>(names.map((p) => [p, new Map()]));
  let group: string | null = null;
  try {
    for (const { file, sc } of loaded.scripts) {
      const dir = dirname(file);
      if (dir !== group) {
        const inDir = loaded.scripts.filter((s) => dirname(s.file) === dir).length;
        out(`${group === null ? "" : "\n"}${pc.bold(dir)} (${inDir} scenario${inDir === 1 ? "" : "s"})\n${header(nameW, names).join("\n")}\n`);
        group = dir;
      }
      progress.now(file);
      const cells = names.map((p) => {
        const r = runOnModel(sc, p).report;
        json.push(jsonReport(file, r));
        for (const v of r.violations ?? []) props.get(p)!.set(v.property, (props.get(p)!.get(v.property) ?? 0) + 1);
        return fitCell(cellParts(r), CELL);
      });
      progress.tick();
      held += cells.filter((c) => c === "held").length;
      if (cells.every((c) => c === "held")) { rowsHeld++; if (!o.all) continue; }
      const name = sc.name.length > nameW ? sc.name.slice(0, nameW - 1) + "~" : sc.name.padEnd(nameW);
      const row = cells.map((c, i) => {
        const text = i === cells.length - 1 ? c : c.padEnd(CELL);
        return c === "held" ? pc.green(text) : pc.red(text);
      });
      out(`${name} ${row.join(" ")}\n`);
    }
  } finally {
    progress.stop();
  }
  if (o.json) {
    printJson(json);
    return finalStatus(loaded, 0);
  }
  const legend = [
    "",
    `${n} scenarios x ${names.length} policies${brokenNote(loaded)}: ${held} cells held every step and property.`,
    ...(o.all ? [] : [`${rowsHeld} rows where every cell held are not shown (--all shows them).`]),
    "A cell is `held`, or the first step that did not go as the script says (@LINE: a script is written for its",
    "@policy, so under another one its steps may differ) and each property that failed, with the line where it",
    "first failed: C no-corruption, T user-told, V pinner-visible, R recoverable, H no-innocent-hang.",
    "`+`: more than the cell shows; `daxlease run FILE --policy NAME` shows all of it.",
    "Failed properties, per policy:",
  ];
  for (const p of names) {
    const failed = [...props.get(p)!].map(([k, c]) => `${k} x${c}`);
    legend.push(`  ${p.padEnd(14)} ${failed.length ? failed.join(", ") : "every property held in every scenario"}`);
  }
  process.stdout.write(legend.map((l) => l.trimEnd()).join("\n") + "\n");
  return finalStatus(loaded, 0);
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}

export function registerMatrixCommand(program: Command, done: (code: number) => void) {
  program.command("matrix").description("run every scenario under every policy, as a table (npm start)")
    .argument("[dirs...]", "scenario files or directories (default: the bundled scenarios/linux and scenarios/proposals)")
    .option("--policy <names>", "only these policies (a comma list, or the option again)", collect)
    .option("--all", "also show the rows where every cell held")
    .option("--json", "print an array of reports, one per scenario and policy (docs/commands.md)")
    .action((dirs: string[], o: Opts) => { done(cmdMatrix(dirs, o)); });
}
