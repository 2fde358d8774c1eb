// The agents under strace(1): `runOnKernel(sc, {strace})` attaches one `strace -f` to every
// agent once they are up, and hands over its log when the steps are done, with the pids
// the agents see (those of the run's PID namespace) and the agents' own bookkeeping (their
// control socket, the fork child's reconnection, the ring set-up behind a fixed read or
// write) taken out. docs/oracle.md, "Tracing the agents".
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseSource, type Ev } from "../import/strace.js";
import type { Fleet } from "./fleet.js";
import { withTimeout } from "./fleet.js";

/**
 * strace's flags: follow forks (the scenario's `fork()`), whole strings (the bytes of a
 * write; the agent's commands), and nothing else the importer would have to undo: no -y
 * (strace, outside the run's mount namespace, would resolve descriptors to paths the
 * agents do not have), no timestamps (one log, written in the order strace saw the
 * events, says the order; a timestamped log would add sleep steps for the driver's pauses).
 */
export const STRACE_ARGS = ["-f", "-s", "65536"];
/** The agent's control socket (oracle/agent.c CTL). */
export const CTL_FD = 1000;
/** Agent commands whose system calls are the agent's way of making a call that is no system call of its own. */
const NOT_SYSCALLS = new Set(["io_uring_read_fixed", "io_uring_write_fixed"]);

export interface AgentTrace {
  /** strace's log, every line's pid that of the run's PID namespace, the agents' bookkeeping taken out. */
  log: string;
  /** The log with those pids, bookkeeping and all (what withoutBookkeeping takes). */
  full: string;
  /** pid (in the run's namespace) -> scenario process name. */
  names: Record<number, string>;
  /** Lines taken out, by why. */
  removed: Record<string, number>;
}

export function straceAvailable(): string | null {
  const dirs = (process.env.PATH ?? "").split(":").concat(["/usr/bin", "/bin"]);
  return dirs.some((d) => d !== "" && existsSync(join(d, "strace"))) ? null : "no strace: install strace";
}

/** The pid in the run's namespace of a process of the machine (NSpid's last field), or null. */
function nsPid(hostPid: number): number | null {
  try {
    const m = /^NSpid:\s*([\d\s]+)$/m.exec(readFileSync(`/proc/${hostPid}/status`, "latin1"));
    const ids = m?.[1]!.trim().split(/\s+/).map(Number) ?? [];
    return ids.length > 1 ? ids[ids.length - 1]! : null;
  } catch {
    return null;
  }
}

function tracerOf(hostPid: number): number {
  try {
    return Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${hostPid}/status`, "latin1"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export class Tracer {
  private exited: Promise<void>;
  private stderr = "";

  private constructor(private proc: ChildProcess, private dir: string, private file: string) {
    this.exited = new Promise((res) => {
      proc.on("exit", () => res());
      proc.on("error", () => res());
    });
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (d: string) => { if (this.stderr.length < 65536) this.stderr += d; });
  }

  /** Attaches strace to every agent of the fleet (the init's children), and waits until it has them all. */
  static async attach(fleet: Fleet): Promise<Tracer> {
    const init = fleet.initPid;
    const kids = readFileSync(`/proc/${init}/task/${init}/children`, "latin1").trim().split(/\s+/).filter((s) => s !== "").map(Number);
    const agents = kids.filter((h) => fleet.byPid.has(nsPid(h) ?? -1));
    if (agents.length !== fleet.agents.size) throw new Error(`strace: found ${agents.length} of ${fleet.agents.size} agents`);
    const dir = mkdtempSync(join(tmpdir(), "daxlease-strace-"));
    const file = join(dir, "trace");
    const args = [...STRACE_ARGS, "-o", file, ...agents.flatMap((h) => ["-p", String(h)])];
    const t = new Tracer(spawn("strace", args, { stdio: ["ignore", "ignore", "pipe"] }), dir, file);
    const until = Date.now() + 5000;
    while (!agents.every((h) => tracerOf(h) === t.proc.pid)) {
      if (Date.now() > until || t.proc.exitCode !== null) {
        await t.stop();
        t.remove();
        throw new Error(`strace did not attach: ${t.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    return t;
  }

  /** Detaches (SIGINT: strace lets go of every process, which goes on untraced). */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGINT");
    if ((await withTimeout(this.exited.then(() => true), 5000)) === undefined) {
      this.proc.kill("SIGKILL");
      await withTimeout(this.exited, 2000);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Stops tracing and reads the log; the fleet's processes must still be there (they are, unreaped, until its shutdown). */
  async finish(fleet: Fleet): Promise<AgentTrace> {
    await this.stop();
    try {
      const raw = existsSync(this.file) ? readFileSync(this.file, "latin1") : "";
      const toNs = new Map<number, number>();
      const full = raw.replace(/^(\d+)(?= )/gm, (p) => {
        const h = Number(p);
        if (!toNs.has(h)) toNs.set(h, nsPid(h) ?? h);
        return String(toNs.get(h));
      });
      const names: Record<number, string> = {};
      for (const [pid, a] of fleet.byPid) names[pid] = a.name;
      const { text, removed } = withoutBookkeeping(full);
      return { log: text, full, names, removed };
    } finally {
      this.remove();
    }
  }

  /** Never throws: for the finally of a run. */
  async abandon(): Promise<void> {
    await this.stop();
    this.remove();
  }
}

/** The agent command a line's read of the control socket brought, or null. */
function commandOf(e: Ev): string | null {
  if ((e.k !== "call" && e.k !== "resumed") || e.name !== "read") return null;
  const m = /"([a-z_0-9]+)[ \\]/.exec(e.args);
  return m === null ? null : m[1]!;
}

function onCtl(e: Ev): boolean {
  return (e.k === "call" || e.k === "unfinished") && new RegExp(`^\\s*${CTL_FD}\\s*,`).test(e.args);
}

/**
 * Takes out of a log (pid-prefixed lines) every system call an agent makes for itself.
 * An agent makes a script's call between reading the command from its control socket and
 * writing the answer there: every call outside such a span is the agent's own (the command
 * loop's read, the answer's write, a fork child's new control socket and greeting), and so
 * is every call inside the span of a command that is no system call (io_uring_read_fixed:
 * the agent maps the ring and calls io_uring_enter). Signal and exit lines stay. What is
 * left is the script's calls and what libc does around them (malloc's brk and mmap), which
 * the importer leaves out as it would in any program.
 */
export function withoutBookkeeping(log: string): { text: string; removed: Record<string, number> } {
  const lines = log.split("\n");
  const events = parseSource({ name: "trace", text: log });
  const drop = new Set<number>();
  const removed: Record<string, number> = {};
  const take = (e: Ev, why: string) => {
    drop.add(e.line);
    removed[why] = (removed[why] ?? 0) + 1;
  };
  /** pid -> the command it is making, or absent between commands. */
  const span = new Map<number, string>();
  for (const e of events) {
    const pid = e.pid ?? 0;
    if (e.k === "signal" || e.k === "exited" || e.k === "killed") continue;
    const cmd = span.get(pid);
    if (cmd === undefined) {
      const next = commandOf(e);
      if (next !== null) span.set(pid, next);
      take(e, next !== null ? "the agent reads a command" : "the agent between commands");
      continue;
    }
    if (onCtl(e) && cmd !== "exit") {
      // The answer: exit's is written before its exit_group, which is the script's.
      span.delete(pid);
      take(e, "the agent answers");
      continue;
    }
    if (onCtl(e)) { take(e, "the agent answers"); continue; }
    if (NOT_SYSCALLS.has(cmd)) take(e, `${cmd} (no system call of its own)`);
  }
  return { text: lines.filter((_, i) => !drop.has(i + 1)).join("\n"), removed };
}
