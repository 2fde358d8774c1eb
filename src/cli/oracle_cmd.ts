// `daxlease oracle` and `daxlease diff`: wired once the oracle lands (src/oracle).
import type { Command } from "commander";

export function registerOracleCommands(_program: Command, _done: (code: number) => void) {}
