// What /proc says about an agent: alive or dead (with its wait status), idle in its
// command loop, blocked in a call, or in between. The driver waits for every agent to
// be "settled" after each step, so that what a step set in motion (a signal, a death,
// a woken breaker) has happened before the next step starts.
import { readFileSync } from "node:fs";
import { signalName } from "../kernel/include/signal_names.js";

/**
 * The agent's control socket: read(1000, ...) is the command loop's wait (a clone that
 * shares its parent's table reads its own, on a reserved fd above 1000).
 */
const CTL_READ = /^0 0x([0-9a-f]+) /;
const inCtlRead = (sc: string): boolean => { const m = CTL_READ.exec(sc); return m !== null && parseInt(m[1]!, 16) >= 1000; };
const PF_EXITING = 0x4;

export type Probe =
  | { k: "dead"; status: string }
  /** Asleep, nothing pending. `inCtl`: waiting for a command; else asleep inside a call (`wchan`: where). */
  | { k: "asleep"; inCtl: boolean; wchan: string }
  /** Stopped (SIGSTOP, sent by number): settled, it will do nothing until SIGCONT. */
  | { k: "stopped" }
  /** Running, in uninterruptible sleep, exiting, or with a signal pending: look again soon. */
  | { k: "busy" };

function read(path: string): string | null {
  try {
    return readFileSync(path, "latin1");
  } catch {
    return null;
  }
}

/** waitpid(2)'s status word as the contract writes it. */
export function statusText(w: number): string {
  const sig = w & 0x7f;
  if (sig === 0) return `exited with ${(w >> 8) & 0xff}`;
  return `killed by ${signalName(sig)}`;
}

/** What `proc` (a procfs: the run's own, whose pids are its PID namespace's) says about `pid`. */
export function probe(proc: string, pid: number): Probe {
  const stat = read(`${proc}/${pid}/stat`);
  if (stat === null) return { k: "dead", status: "exited with ?" };
  // Fields after the ")" that closes comm: state is field 3, flags 9, exit_code 52.
  const f = stat.slice(stat.lastIndexOf(")") + 2).trim().split(" ");
  const state = f[0]!;
  if (state === "Z" || state === "X") return { k: "dead", status: statusText(Number(f[49] ?? 0)) };
  if (state === "T") return { k: "stopped" };
  // A tracing stop (strace, docs/oracle.md "Tracing the agents"): the tracer lets it go on at once.
  if (state === "t") return { k: "busy" };
  if (state !== "S") return { k: "busy" };
  if (Number(f[6]) & PF_EXITING) return { k: "busy" };
  const status = read(`${proc}/${pid}/status`) ?? "";
  for (const key of ["SigPnd", "ShdPnd"]) {
    const m = new RegExp(`^${key}:\\s*([0-9a-f]+)`, "m").exec(status);
    if (m && /[1-9a-f]/.test(m[1]!)) return { k: "busy" };
  }
  const sc = read(`${proc}/${pid}/syscall`);
  if (sc === null) return { k: "busy" };
  if (sc.startsWith("running")) return { k: "busy" };
  return { k: "asleep", inCtl: inCtlRead(sc), wchan: (read(`${proc}/${pid}/wchan`) ?? "").trim() };
}

/** The kernel function a task sleeps in while a lease break blocks it (fs/locks.c). */
export const LEASE_WAIT = "__break_lease";
