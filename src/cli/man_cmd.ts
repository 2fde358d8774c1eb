// `daxlease man [SECTION] TOPIC`: a manual page in the terminal. man(1) on a terminal
// (with its pager), else mandoc(1) as plain text, else the small formatter of src/man.
import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./files.js";
import { findPage, pageFiles } from "../man/pages.js";
import { renderMan } from "../man/render.js";

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => d !== "" && existsSync(join(d, cmd)));
}

/** The page as plain text: mandoc's, without its overstrikes, or ours. */
export function pageText(file: string, formatter: "mandoc" | "builtin" = onPath("mandoc") ? "mandoc" : "builtin"): string {
  if (formatter === "mandoc") {
    const r = spawnSync("mandoc", ["-T", "ascii", "-O", "width=80", file], { encoding: "utf8" });
    if (r.status === 0) return r.stdout.replace(/.\x08/g, "");
  }
  return renderMan(readFileSync(file, "utf8"));
}

function cmdMan(a: string | undefined, b: string | undefined): number {
  if (a === undefined) {
    process.stdout.write("daxlease man TOPIC prints one of:\n" + pageFiles().map((f) => `  ${f.replace(/\.(\d)$/, "($1)")}`).join("\n") + "\n");
    return 0;
  }
  const [section, topic] = b === undefined ? [undefined, a] : [a, b];
  if (section !== undefined && !/^[1-9]$/.test(section)) throw new UsageError(`daxlease man [SECTION] TOPIC: ${section} is no section`);
  const file = findPage(topic, section);
  if (file === null) throw new UsageError(`no manual page for ${section === undefined ? "" : `${section} `}${topic} (daxlease man lists them)`);
  if (process.stdout.isTTY && onPath("man")) {
    const r = spawnSync("man", ["-l", file], { stdio: "inherit" });
    if (r.status === 0) return 0;
  }
  process.stdout.write(pageText(file));
  return 0;
}

export function registerManCommand(program: Command, done: (code: number) => void) {
  program.command("man").description("print a manual page: daxlease man [SECTION] TOPIC (no topic: list them)")
    .argument("[section]").argument("[topic]")
    .action((a: string | undefined, b: string | undefined) => { done(cmdMan(a, b)); });
}
