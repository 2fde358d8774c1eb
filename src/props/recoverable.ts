// recoverable, as a look-ahead: when a layout change is refused because of pins (ETXTBSY,
// EDEADLK) or sleeps on them, killing the processes the admin views name must let it succeed.
// It is judged on a copy of the state, which is thrown away, with no tracepoint attached.
import type { KState, Proc, Inode } from "../kernel/include/state.js";
import { PState, BLOCKED, CAP } from "../kernel/include/state.js";
import { cloneState, cloneProc } from "../kernel/snapshot.js";
import { sendSignal, procByPid } from "../kernel/sched/signal.js";
import { syscall, runnable, resume, die, tick, type SysArg } from "../kernel/entry.js";
import { SIGKILL, SI_USER } from "../kernel/include/signal_names.js";
import { ETXTBSY, EDEADLK } from "../kernel/include/errno.js";
import * as U from "../kernel/include/uapi.js";
import { MMAP_TOP } from "../kernel/mm/mmap.js";
import { procFds, newFdTable } from "../kernel/fs/file.js";
import { assert, bound } from "../kernel/include/assert.js";
import { untraced } from "../kernel/trace.js";
import { namedPinners, pinCount } from "./predicates.js";
import type { PinSet } from "../kernel/include/state.js";

/** A call as the monitors see it: who made it, what, and what it returned (BLOCKED: it sleeps). */
export interface Outcome { proc: Proc | null; call: string; args: readonly SysArg[]; ret: number; data: string }

/** The calls that change a layout. */
const LAYOUT_CALLS = new Set(["truncate", "ftruncate", "fallocate", "open", "openat", "write", "pwrite", "pwrite64"]);

function alive(p: Proc): boolean {
  return p.state === PState.Running || p.state === PState.Blocked;
}

function pinsOn(ps: PinSet, ino: number): boolean {
  for (let i = 0; i < ps.pinned.length; i += 4) if (ps.pinned[i + 3] === ino) return true;
  return false;
}

/**
 * What the kernel does by itself, to the end (the scheduler's settle, on a kernel state
 * alone). Returns what the sleeping call of `watch` returned, if it returned.
 */
export function settleKernel(s: KState, watch: number): number | null {
  let ret: number | null = null;
  for (let guard = 0; ; guard++) {
    assert(guard < 100_000, "settle does not converge");
    const p = s.procs.find((q) => runnable(s, q) !== null);
    if (p === undefined) return ret;
    if (runnable(s, p) === "die") die(s, p);
    else {
      const r = resume(s, p);
      if (r !== BLOCKED && p.pid === watch) ret = r;
    }
  }
}

/**
 * The call of `pid`, asleep, returns once every timer that can wake it has fired (a lease
 * break it started runs its course): what it returned, or null if nothing ends the sleep.
 */
function finish(c: KState, pid: number): number | null {
  for (let round = 0; ; round++) {
    bound(round, 1_000_000, "recoverable: a retry waiting for its timers");
    const p = procByPid(c, pid);
    if (p === null || p.state !== PState.Blocked) return null;
    if (!tick(c)) return null;
    const r = settleKernel(c, pid);
    if (r !== null) return r;
  }
}

/** A call made on the copy succeeds: at once, or once the lease breaks it starts have run their course. */
function succeeds(c: KState, p: Proc, call: string, args: SysArg[]): boolean {
  const r = syscall(c, p, call, args).ret;
  const ret = r === BLOCKED ? finish(c, p.pid) : r;
  return ret !== null && ret >= 0;
}

/**
 * Refused (ETXTBSY, EDEADLK) or asleep on pins: killing the named pinners must let the
 * call succeed — at once, or once the lease breaks it starts have run their course.
 */
export function unrecoverable(s: KState, out: Outcome): string | null {
  return untraced(() => recoverableAhead(s, out));
}

function recoverableAhead(s: KState, out: Outcome): string | null {
  if (!LAYOUT_CALLS.has(out.call) || out.proc === null) return null;
  const p = out.proc;
  const asleep = out.ret === BLOCKED && p.wait !== null && p.wait.kind !== "lease";
  if (out.ret !== -ETXTBSY && out.ret !== -EDEADLK && !asleep) return null;
  const inode = targetInode(s, p, out);
  if (inode === null) return null;
  // Only refusals where pins are in play: a lease alone is not a pin.
  if (!s.pinsets.some((ps) => ps !== null && pinCount(ps) > 0 && pinsOn(ps, inode.ino))) return null;
  const c = cloneState(s);
  const named = new Set<number>();
  for (const ps of c.pinsets) if (ps !== null && pinCount(ps) > 0 && pinsOn(ps, inode.ino)) for (const q of namedPinners(c, ps, false)) named.add(q.pid);
  // /proc/locks names the holders of the layout leases on the file.
  for (const l of c.inodes[inode.ino]!.leases) { const q = procByPid(c, l.pid); if (q !== null && alive(q)) named.add(q.pid); }
  for (const q of c.procs) if (named.has(q.pid)) sendSignal(c, q, { signo: SIGKILL, code: SI_USER, fd: 0, band: 0 });
  const resumed = settleKernel(c, p.pid);
  const cp = procByPid(c, p.pid)!;
  let ok: boolean;
  if (alive(cp) && !asleep) ok = succeeds(c, cp, out.call, [...out.args]);
  else if (alive(cp)) {
    const r = resumed ?? finish(c, cp.pid);
    ok = r !== null && r >= 0;
  }
  else ok = adminRetry(c, inode, out);
  if (ok) return null;
  const who = [...named].map((pid) => procByPid(s, pid)!.name);
  return `killing ${who.length ? who.join(", ") : "the processes the admin views name (none)"} does not let ${p.name}'s ${out.call} of ${inode.path} succeed`;
}

function targetInode(s: KState, p: Proc, out: Outcome): Inode | null {
  const path = out.call === "truncate" || out.call === "open" ? out.args[0] : out.call === "openat" ? out.args[1] : null;
  if (typeof path === "string") { const ino = s.dents[path]; return ino === undefined ? null : s.inodes[ino] ?? null; }
  const fd = out.args[0];
  const fds = procFds(s, p);
  if (typeof fd !== "number" || fd < 0 || fd >= fds.length || fds[fd]! < 0) return null;
  return s.inodes[s.files[fds[fd]!]!.ino] ?? null;
}

/**
 * The original caller died with the pinners: a root process makes the same change by path.
 * A file with no name left (unlinked) cannot be reached so; once its pins are gone the last
 * reference frees it whole, which is all the change could have asked (the refused call was
 * the pinner's own, say on a file it unlinked).
 */
function adminRetry(c: KState, inode: Inode, out: Outcome): boolean {
  // Unlinked and evicted with its last holder: nothing is left to change. Unlinked (or its
  // name now another file's) but still held: no path reaches it; recovered once its pins are gone.
  const ci = c.inodes[inode.ino];
  if (ci == null) return true;
  if (ci.nlink === 0 || c.dents[inode.path] !== inode.ino) return !c.pinsets.some((ps) => ps !== null && pinCount(ps) > 0 && pinsOn(ps, inode.ino));
  let pid = 1000;
  for (const q of c.procs) if (q.pid >= pid) pid = q.pid + 1;
  const admin = cloneProc(c.procs[0]!);
  Object.assign(admin, { pid, name: "admin", ppid: 1, uid: 0, gid: 0, caps: Object.values(CAP).reduce((a, b) => a | b, 0), sigDefault: false,
    state: PState.Running, code: 0, fdt: newFdTable(c, [], []), vmas: [], mmapBase: MMAP_TOP, sigq: [], sigpend: 0, fatal: 0, wait: null });
  c.procs.push(admin);
  if (out.call === "fallocate") {
    const r = syscall(c, admin, "open", [inode.path, U.O_RDWR, 0]).ret;
    const fd = r === BLOCKED ? finish(c, admin.pid) : r;
    if (fd === null || fd < 0) return false;
    return succeeds(c, admin, "fallocate", [fd, ...out.args.slice(1)]);
  }
  const len = out.call === "ftruncate" || out.call === "truncate" ? Number(out.args[1]) : 0;
  return succeeds(c, admin, "truncate", [inode.path, len]);
}
