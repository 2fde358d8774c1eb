import { readFileSync } from "node:fs";
import { parseScenario } from "../scenario/parse.js";
import type { Scenario } from "../scenario/ast.js";
import { UsageError } from "./files.js";

export function loadScenario(file: string): Scenario {
  let text: string;
  try { text = readFileSync(file, "utf8"); } catch { throw new UsageError(`${file}: cannot read`); }
  return parseScenario(text, file);
}

/** Every script is checked before any runs. */
export function loadScenarios(files: string[]): Scenario[] {
  return files.map(loadScenario);
}
