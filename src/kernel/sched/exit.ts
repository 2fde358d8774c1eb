// Processes: sleeping, waking, dying, forking, and virtual time (kernel/exit.c,
// kernel/fork.c, the wait loop of __break_lease).
import type { KState, Proc } from "../include/state.js";
import { PState, BLOCKED } from "../include/state.js";
import { EINTR } from "../include/errno.js";
import { abortBreaker, breakLeaseResume } from "../locks/locks.js";
import { abortOpen, finishOpen, finishTruncate } from "../fs/open.js";
import { fput, getFile, fileOf } from "../fs/file.js";
import { alive } from "./signal.js";
import { dispatch } from "../entry.js";
import { cloneProc } from "../snapshot.js";
import { pinnedInRange } from "../locks/layout.js";
import { assert } from "../include/assert.js";

/** The call of `p` has returned `ret`. */
function complete(p: Proc, ret: number) {
  p.ret = ret;
  p.done = true;
  if (p.state === PState.Blocked) p.state = PState.Running;
}

/** Ends a sleeping call with an error, undoing what it held. */
function abortWait(s: KState, p: Proc, err: number) {
  const w = p.wait!;
  abortBreaker(s, p);
  if (w.op === "open") abortOpen(s, p, w.file, w.fd);
  else if (w.op === "truncate") finishTruncate(s, p, w.ino, -1, err, []);
  else if (w.op === "fput") fput(s, w.file);
  complete(p, err);
}

/** A woken sleeper runs: it finishes its call, fails it, or sleeps again. */
function runWoken(s: KState, p: Proc) {
  const w = p.wait!;
  if (w.op === "fput") {
    // Uninterruptible: a caught signal does not end it (SIGKILL is handled before we get here).
    if (!conditionMet(s, p)) { w.woken = false; return; }
    p.wait = null;
    fput(s, w.file);
    complete(p, 0);
    return;
  }
  // The oracle's agent waits on through EINTR for a completion; only SIGKILL ends this.
  if (w.kind === "poll") { w.woken = false; return; }
  let r: number;
  if (w.kind === "lease") r = breakLeaseResume(s, p);
  else {
    p.wait = null;
    r = p.sigpend > 0 || p.fatal !== 0 ? -EINTR : 0;
  }
  if (r === BLOCKED) return;
  if (r < 0) {
    p.wait = w;
    abortWait(s, p, r);
    return;
  }
  if (w.op === "open") {
    const r2 = finishOpen(s, p, w.file, w.fd, w.len !== 0, w.args);
    if (r2 !== BLOCKED) complete(p, r2);
  } else if (w.op === "truncate") {
    const r2 = finishTruncate(s, p, w.ino, w.len, 0, [w.call, ...w.args]);
    if (r2 !== BLOCKED) complete(p, r2);
  } else {
    // The call starts over, as after -ERESTARTSYS: it may finish, fail, or sleep again.
    const again = dispatch(s, p, w.call, w.args).ret;
    if (again !== BLOCKED) complete(p, again);
  }
}

/** Sleeps that end when a condition holds rather than on a wake-up: pins gone from a range, or from a lease. */
function conditionMet(s: KState, p: Proc): boolean {
  const w = p.wait!;
  if (w.kind === "dax") {
    const inode = s.inodes[w.ino];
    return inode === null || inode === undefined || !pinnedInRange(s, inode, w.start, w.end);
  }
  if (w.kind === "unpin") {
    for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases) if (l.id === w.lease) return l.pins === 0;
    return true;
  }
  return false;
}

/** do_exit: descriptors and mappings are released; the process stays a zombie. */
export function doExit(s: KState, p: Proc, state: PState.Exited | PState.Killed, code: number) {
  // A call the process dies in never returns (strace's `= ?`).
  const inCall = p.wait !== null || !p.done;
  if (p.wait !== null) abortWait(s, p, -EINTR);
  for (let fd = 0; fd < p.fds.length; fd++) {
    const id = p.fds[fd]!;
    if (id >= 0) fput(s, id);
  }
  p.fds = [];
  for (const v of p.vmas) if (v.file >= 0) fput(s, v.file);
  p.vmas = [];
  p.state = state;
  p.code = code;
  p.fatal = 0;
  p.sigpend = 0;
  if (inCall) { p.ret = BLOCKED; p.done = true; }
}

/**
 * Acts on what signals and lease changes left behind, until nothing changes:
 * fatal signals kill, woken sleepers run again. Lowest pid first, so runs are deterministic.
 */
export function settle(s: KState) {
  for (let guard = 0; guard < 100000; guard++) {
    let acted = false;
    for (const p of s.procs) {
      if (!alive(p)) continue;
      if (p.fatal !== 0) {
        doExit(s, p, PState.Killed, p.fatal);
        acted = true;
      } else if (p.wait !== null && (p.wait.woken || conditionMet(s, p))) {
        runWoken(s, p);
        acted = true;
      }
    }
    if (!acted) return;
  }
  assert(false, "settle did not converge");
}

/** The earliest sleeper's timeout, or -1. */
export function nextTimer(s: KState): number {
  let t = -1;
  for (const p of s.procs) if (p.wait !== null && p.wait.wake >= 0 && (t < 0 || p.wait.wake < t)) t = p.wait.wake;
  return t;
}

/** Advances virtual time to `until`, firing timeouts in order. */
export function advance(s: KState, until: number) {
  for (;;) {
    const t = nextTimer(s);
    if (t < 0 || t > until) break;
    s.now = Math.max(s.now, t);
    for (const p of s.procs) {
      if (p.wait !== null && p.wait.wake >= 0 && p.wait.wake <= s.now) {
        p.wait.woken = true;
        p.wait.timedOut = true;
      }
    }
    settle(s);
  }
  s.now = Math.max(s.now, until);
}

/** Lets time pass until `p` is no longer asleep, or nothing more can wake it. */
export function waitFor(s: KState, p: Proc, limit: number) {
  while (p.state === PState.Blocked) {
    const t = nextTimer(s);
    if (t < 0 || t > limit) return;
    advance(s, t);
  }
}

/** fork(2): the child shares every open file and mapping of the parent. */
export function sysFork(s: KState, p: Proc, childName: string, childPid: number): number {
  const c: Proc = cloneProc(p);
  Object.assign(c, { pid: childPid, name: childName, ppid: p.pid, sigs: [], sigpend: 0, fatal: 0, wait: null, call: "", ret: 0, done: true, state: PState.Running, code: 0 });
  for (const id of c.fds) if (id >= 0) getFile(fileOf(s, id));
  for (const v of c.vmas) if (v.file >= 0) getFile(fileOf(s, v.file));
  s.procs.push(c);
  return childPid;
}
