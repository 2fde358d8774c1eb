// /proc files the model can show (fs/proc, fs/locks.c locks_show).
import type { KState } from "./state.js";
import { procLocksLines } from "./locks.js";

/** The lines of a /proc file, normalised as the contract says; null when there is no such file. */
export function catProc(s: KState, path: string): string[] | null {
  if (path === "/proc/locks") return procLocksLines(s);
  return null;
}
