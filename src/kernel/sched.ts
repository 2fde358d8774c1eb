// Processes: sleeping, waking, dying, forking, and virtual time (kernel/exit.c,
// kernel/fork.c, the wait loop of __break_lease).
import type { KState, Proc } from "./state.js";
import { PState, BLOCKED } from "./state.js";
import { EINTR } from "./errno.js";
import { abortBreaker, breakLeaseResume } from "./locks.js";
import { abortOpen, finishOpen, finishTruncate } from "./open.js";
import { fput, getFile, fileOf } from "./file.js";
import { alive } from "./signal.js";
import { assert } from "./assert.js";

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
  else finishTruncate(s, w.ino, -1, err);
  complete(p, err);
}

/** A woken sleeper runs: it finishes its call, fails it, or sleeps again. */
function runWoken(s: KState, p: Proc) {
  const w = p.wait!;
  const r = breakLeaseResume(s, p);
  if (r === BLOCKED) return;
  if (r < 0) {
    p.wait = w;
    abortWait(s, p, r);
    return;
  }
  if (w.op === "open") complete(p, finishOpen(s, p, w.file, w.fd, w.len !== 0));
  else complete(p, finishTruncate(s, w.ino, w.len, 0));
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
      } else if (p.wait !== null && p.wait.woken) {
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
  const c: Proc = {
    ...p, pid: childPid, name: childName, ppid: p.pid, fds: [...p.fds], vmas: p.vmas.map((v) => ({ ...v })),
    sigs: [], sigpend: 0, fatal: 0, wait: null, call: "", ret: 0, done: true, state: PState.Running, code: 0,
  };
  for (const id of c.fds) if (id >= 0) getFile(fileOf(s, id));
  for (const v of c.vmas) if (v.file >= 0) getFile(fileOf(s, v.file));
  s.procs.push(c);
  return childPid;
}
