// The oracle: runs a scenario on the real Linux kernel of this machine and reports it
// exactly as the model's runner does (policy "kernel"). docs/oracle.md explains it.
import { accessSync, constants, existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Scenario } from "../scenario/ast.js";
import type { RunReport } from "../scenario/report.js";
import { capMask, kernelSkipReason } from "./args.js";
import { agentSource, ensureAgent, packageRoot } from "./build.js";
import { Fleet, killKeeper } from "./fleet.js";
import { guard } from "./guard.js";
import { FsEnv, sysctlNow, withMachineLock } from "./fsenv.js";
import { RESUME_SLACK_MS, Runner, trace } from "./run.js";
import { Tracer, type AgentTrace } from "./strace.js";

export { kernelSkipReason } from "./args.js";
export { diffReports } from "./diff.js";
export { cleanupMachine } from "./fsenv.js";
export { GRACE_MS, SETTLE_MS, RESUME_SLACK_MS } from "./run.js";
export { straceAvailable, STRACE_ARGS, type AgentTrace } from "./strace.js";

/** A scenario's time on the kernel: this, plus its sleeps, plus one lease-break wait per resumed call; at most MAX_TIMEOUT_MS. */
export const BASE_TIMEOUT_MS = 20_000;
export const MAX_TIMEOUT_MS = 300_000;

export interface KernelOptions {
  /** Overall time for the scenario's steps; past it the remaining steps are reported "timeout". */
  timeoutMs?: number;
  /** Runs the steps under `strace -f` (attached to every agent) and hands over its log (docs/oracle.md, "Tracing the agents"). */
  strace?: (t: AgentTrace) => void;
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => d !== "" && existsSync(join(d, cmd)));
}

export function oracleAvailable(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== "linux") return { ok: false, why: `the oracle needs Linux, this is ${process.platform}` };
  if (process.getuid?.() !== 0) return { ok: false, why: "the oracle needs root (it mounts filesystems, sets sysctls, runs processes as other uids): run as root" };
  let built = false;
  try {
    const bin = join(packageRoot(), "oracle", "build", "agent");
    built = existsSync(bin) && statSync(bin).mtimeMs >= statSync(agentSource()).mtimeMs;
  } catch { /* not built */ }
  if (!built && !onPath("cc")) return { ok: false, why: "no C compiler (cc) to build oracle/agent.c: install gcc" };
  if (!onPath("mount") && !existsSync("/usr/bin/mount") && !existsSync("/bin/mount")) return { ok: false, why: "no mount(8)" };
  // Root in a container is not enough: the keeper unshares namespaces and mounts (CAP_SYS_ADMIN)
  // and the runs set fs.lease-break-time (a writable /proc/sys).
  if (!privileged()) return { ok: false, why: "the oracle needs a privileged root (CAP_SYS_ADMIN and a writable /proc/sys): run it outside a container, or in one started with --privileged" };
  return { ok: true };
}

/** CAP_SYS_ADMIN (bit 21) in CapEff, and /proc/sys/fs/lease-break-time writable. */
function privileged(): boolean {
  try {
    const cap = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (cap === null || (BigInt(`0x${cap[1]}`) & (1n << 21n)) === 0n) return false;
    accessSync("/proc/sys/fs/lease-break-time", constants.W_OK);
    return true;
  } catch { return false; }
}

function skipped(sc: Scenario, why: string): RunReport {
  return { scenario: sc.name, policy: "kernel", ok: null, steps: [], skipped: why };
}

function budget(sc: Scenario, lbtMs: number): number {
  let t = BASE_TIMEOUT_MS;
  for (const s of sc.steps) {
    if (s.k === "sleep") t += s.ms;
    if (s.k === "resumed") t += Math.max(lbtMs, 0) + RESUME_SLACK_MS;
  }
  return Math.min(t, MAX_TIMEOUT_MS);
}

/** Runs `sc` on this machine's kernel. Never hangs; always kills, unmounts and restores what it made. */
export async function runOnKernel(sc: Scenario, opts: KernelOptions = {}): Promise<RunReport> {
  const why = kernelSkipReason(sc);
  if (why !== null) return skipped(sc, why);
  const avail = oracleAvailable();
  if (!avail.ok) return skipped(sc, avail.why);
  for (const m of sc.mounts) {
    const no = FsEnv.cannot(m);
    if (no !== null) return skipped(sc, no);
  }
  const bin = ensureAgent();
  trace(`${sc.name}: built`);
  return withMachineLock(async () => {
    trace("locked");
    const env = FsEnv.create();
    let fleet: Fleet | null = null;
    let keeper = 0;
    let tracer: Tracer | null = null;
    // A signal or an exit now undoes the run at once (guard.ts); the finally below, otherwise.
    const unguard = guard(() => {
      killKeeper(keeper);
      env.teardown();
    });
    try {
      const commands = sc.mounts.map((m, i) => env.mountCommand(m, i));
      trace("images made");
      fleet = await Fleet.start(bin, env.rootDir, (pid) => { keeper = pid; });
      for (const c of commands) await fleet.init(c);
      await fleet.init("root");
      env.attach(fleet.treeRoot, sc.mounts);
      trace("tree up");
      if (sc.leaseBreakTime !== null) env.sysctl("fs.lease-break-time", sc.leaseBreakTime);
      if (sc.leasesEnable !== null) env.sysctl("fs.leases-enable", sc.leasesEnable);
      const lbtMs = sysctlNow("fs.lease-break-time") * 1000;
      for (const f of sc.files) env.makeFile(f.path, f.size, f.uid, f.gid, f.mode);
      trace("files made");
      for (const p of sc.procs) await fleet.spawnAgent(p.name, p.uid, p.gid, capMask(p.caps), p.sigDefault);
      trace("agents up");
      if (opts.strace !== undefined) tracer = await Tracer.attach(fleet);
      const timeout = opts.timeoutMs ?? budget(sc, lbtMs);
      const report = await new Runner(sc, env, fleet, lbtMs, Date.now() + timeout).run();
      if (tracer !== null) {
        const t = await tracer.finish(fleet);
        tracer = null;
        opts.strace?.(t);
      }
      return report;
    } finally {
      if (tracer !== null) await tracer.abandon();
      if (fleet !== null) await fleet.shutdown();
      else killKeeper(keeper);
      trace("agents gone");
      env.teardown();
      unguard();
      trace("torn down");
    }
  });
}
