// Processes: dying, forking, and the timers of sleeping calls (kernel/exit.c, kernel/fork.c,
// the timeout of __break_lease's wait).
import type { KState, Proc } from "../include/state.js";
import { PState } from "../include/state.js";
import { EINTR } from "../include/errno.js";
import { abortBreaker } from "../locks/locks.js";
import { abortOpen, finishTruncate } from "../fs/open.js";
import { fput, getFile, fileOf, exitFiles, dupFdTable, fdtOf } from "../fs/file.js";
import { cloneProc } from "../snapshot.js";
import { assert } from "../include/assert.js";

/** Ends a sleeping call with an error, undoing what it held (the caller reports `err`). */
export function abortWait(s: KState, p: Proc, err: number) {
  const w = p.wait!;
  abortBreaker(s, p);
  if (w.op === "open") abortOpen(s, p, w.file, w.fd);
  else if (w.op === "truncate") finishTruncate(s, p, w.ino, -1, err, []);
  else if (w.op === "fput") fput(s, w.file);
  p.wait = null;
  if (p.state === PState.Blocked) p.state = PState.Running;
}

/** do_exit: a sleeping call is abandoned, descriptors and mappings released; the process stays a zombie. */
export function doExit(s: KState, p: Proc, state: PState.Exited | PState.Killed, code: number) {
  if (p.wait !== null) abortWait(s, p, -EINTR);
  // exit_files: the table goes with its last user (a CLONE_FILES sibling keeps it).
  exitFiles(s, p);
  for (const v of p.vmas) if (v.file >= 0) fput(s, v.file);
  p.vmas = [];
  p.state = state;
  p.code = code;
  p.fatal = 0;
  p.sigpend = 0;
  p.sigq = [];
}

/** CLONE_FILES (include/uapi/linux/sched.h): the child shares the parent's descriptor table. */
export const CLONE_FILES = 0x400;

/**
 * fork(2), and clone(2) without a new stack: the child shares every open file and mapping of
 * the parent, through a copy of its descriptor table (dup_fd, close-on-exec bits included),
 * or through the same table with CLONE_FILES (copy_files). Processes stay sorted by pid.
 */
export function sysFork(s: KState, p: Proc, childName: string, childPid: number, flags = 0): number {
  assert(!s.procs.some((q) => q.pid === childPid), `pid ${childPid} is free`);
  const c: Proc = cloneProc(p);
  Object.assign(c, { pid: childPid, name: childName, ppid: p.pid, sigq: [], sigpend: 0, fatal: 0, wait: null, state: PState.Running, code: 0 });
  const t = fdtOf(s, p);
  if (flags & CLONE_FILES) t.users++;
  else c.fdt = dupFdTable(s, t);
  for (const v of c.vmas) if (v.file >= 0) getFile(fileOf(s, v.file));
  let at = s.procs.length;
  while (at > 0 && s.procs[at - 1]!.pid > childPid) at--;
  s.procs.splice(at, 0, c);
  return childPid;
}

/** The earliest sleeper's timeout, or -1. */
export function nextTimer(s: KState): number {
  let t = -1;
  for (const p of s.procs) if (p.wait !== null && !p.wait.woken && p.wait.wake >= 0 && (t < 0 || p.wait.wake < t)) t = p.wait.wake;
  return t;
}

/** Time runs to the next timeout: every sleep due by then is woken by its timer. False when none is pending. */
export function fireTimers(s: KState): boolean {
  const t = nextTimer(s);
  if (t < 0) return false;
  s.now = Math.max(s.now, t);
  for (const p of s.procs) {
    const w = p.wait;
    if (w !== null && !w.woken && w.wake >= 0 && w.wake <= s.now) {
      w.woken = true;
      w.timedOut = true;
    }
  }
  return true;
}
