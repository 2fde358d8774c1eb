// Colour only for a terminal. picocolors alone also colours whenever $CI is set,
// which puts escape codes into piped output (grep, diff, CI logs, our tests).
import picocolors from "picocolors";

type Env = Record<string, string | undefined>;

/** NO_COLOR wins, then FORCE_COLOR (any value but "0"), then whether stdout is a terminal that is not "dumb". */
export function useColor(env: Env, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== "0";
  return isTTY && env.TERM !== "dumb";
}

export const pc = picocolors.createColors(useColor(process.env, process.stdout.isTTY === true));
