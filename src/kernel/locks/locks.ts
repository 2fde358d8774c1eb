// File leases, as fs/locks.c has them (FL_LEASE from fcntl F_SETLEASE).
import type { KState, Inode, Lease, OpenFile, Proc, Wait } from "../include/state.js";
import { FL_DOWNGRADE_PENDING, FL_UNLOCK_PENDING, FL_LAYOUT, FL_EXCLUSIVE, FMODE_READ, FMODE_WRITE, CAP, BLOCKED } from "../include/state.js";
import { F_RDLCK, F_WRLCK, F_UNLCK, F_LAYOUT, F_EXCLUSIVE, F_SETLEASE, O_ACCMODE, O_RDONLY, O_NONBLOCK, FASYNC, S_IFMT, S_IFREG } from "../include/uapi.js";
import { EACCES, EAGAIN, EINVAL, EINTR, EDEADLK, ETXTBSY } from "../include/errno.js";
import { leaseBreaking } from "../include/lease.js";
import { sendSigio, procByPid } from "../sched/signal.js";
import { assert, bound } from "../include/assert.js";
import { trace } from "../trace.js";

const NO_BLOCKER = -0x7fffffff;

/** A Wait with every field at rest. */
export function newWait(kind: Wait["kind"], ino: number): Wait {
  return {
    kind, ino, wantWrite: false, layout: false, passPid: -1, skipPinned: false, start: 0, end: 0, lease: -1, blocker: NO_BLOCKER, seq: 0, wake: -1,
    woken: false, timedOut: false, op: "redo", file: -1, fd: -1, len: 0, call: "", args: [],
  };
}

function pastTime(s: KState, then: number): boolean {
  // past_time: 0 means "never expires"; time_after is strict.
  return then !== 0 && s.now > then;
}

/** target_leasetype: what the lease is becoming, else what it is. */
export function targetLeaseType(l: Lease): number {
  if (l.flags & FL_UNLOCK_PENDING) return F_UNLCK;
  if (l.flags & FL_DOWNGRADE_PENDING) return F_RDLCK;
  return l.type;
}

/** locks_conflict for two lease-type locks: one of them is a write. */
function typesConflict(a: number, b: number): boolean {
  return a === F_WRLCK || b === F_WRLCK;
}

/** leases_conflict(lease, breaker): a layout breaker meets only layout leases, and the others only the others. */
function leasesConflict(l: Lease, wantWrite: boolean, layout: boolean): boolean {
  if (((l.kind & FL_LAYOUT) !== 0) !== layout) return false;
  return typesConflict(l.type, wantWrite ? F_WRLCK : F_RDLCK);
}

/** A lease this breaker leaves alone: its own process's exclusive layout lease, or one with pins (skipPinned). */
function passed(l: Lease, passPid: number, skipPinned = false): boolean {
  return ((l.kind & FL_EXCLUSIVE) !== 0 && l.pid === passPid) || (skipPinned && l.pins > 0);
}

function anyLeasesConflict(inode: Inode, wantWrite: boolean, layout: boolean, passPid = -1, skipPinned = false): boolean {
  for (const l of inode.leases) if (leasesConflict(l, wantWrite, layout) && !passed(l, passPid, skipPinned)) return true;
  return false;
}

/** Blocked breakers queued directly under a lease (id >= 0) or a breaker (-1 - pid). */
export function waitersOf(s: KState, blocker: number): Proc[] {
  const out: Proc[] = [];
  for (const p of s.procs) if (p.wait !== null && p.wait.blocker === blocker) out.push(p);
  out.sort((a, b) => a.wait!.seq - b.wait!.seq);
  return out;
}

/** __locks_wake_up_blocks: the direct waiters are woken and leave the blocker's list. */
export function wakeUpBlocks(s: KState, blocker: number) {
  for (const p of waitersOf(s, blocker)) {
    p.wait!.blocker = NO_BLOCKER;
    p.wait!.woken = true;
  }
}

/** lease_modify: change the type; F_UNLCK also drops the owner, the signal and the lease. */
export function leaseModify(s: KState, inode: Inode, l: Lease, arg: number) {
  l.type = arg;
  // lease_clear_pending: F_WRLCK clears nothing.
  if (arg === F_UNLCK) l.flags &= ~(FL_UNLOCK_PENDING | FL_DOWNGRADE_PENDING);
  else if (arg === F_RDLCK) l.flags &= ~FL_DOWNGRADE_PENDING;
  wakeUpBlocks(s, l.id);
  if (arg !== F_UNLCK) return;
  const f = s.files[l.file]!;
  f.owner = 0; // f_delown
  f.ownerUid = 0;
  f.signum = 0;
  f.flags &= ~FASYNC; // fasync_helper(0, ...) removes the entry
  const i = inode.leases.indexOf(l);
  assert(i >= 0, "lease on its inode's list");
  inode.leases.splice(i, 1);
}

/** time_out_leases: breaks whose time has passed are forced through. */
export function timeOutLeases(s: KState, inode: Inode) {
  for (const l of [...inode.leases]) {
    if (!s.pol.timesOut(l)) continue;
    if (pastTime(s, l.downgradeTime)) { trace("timeout"); leaseModify(s, inode, l, F_RDLCK); }
    if (pastTime(s, l.breakTime) && inode.leases.includes(l)) { trace("timeout"); leaseModify(s, inode, l, F_UNLCK); }
  }
}

/** lease_break_callback: kill_fasync(&fl->fl_fasync, SIGIO, POLL_MSG). */
function leaseBreakCallback(s: KState, l: Lease) {
  if (l.faFd < 0) return;
  sendSigio(s, s.files[l.file]!, l.faFd);
}

/** The sleep of a blocked breaker: queued under the first lease, until its break time. */
function queueBreaker(s: KState, p: Proc, inode: Inode, w: Wait) {
  const first = inode.leases[0]!;
  // __locks_insert_block: descend into a queued breaker this one conflicts with.
  let blocker = first.id;
  for (let depth = 0; ; depth++) {
    bound(depth, s.procs.length + 1, "queueBreaker: a cycle of blocked breakers");
    const next = waitersOf(s, blocker).find((q) => typesConflict(q.wait!.wantWrite ? F_WRLCK : F_RDLCK, w.wantWrite ? F_WRLCK : F_RDLCK));
    if (next === undefined) break;
    blocker = -1 - next.pid;
  }
  w.blocker = blocker;
  w.seq = s.nextSeq++;
  w.woken = false;
  w.timedOut = false;
  // The sleep lasts until the first lease's break time (a jiffy past it, since
  // past_time is strict); with none, the kernel polls every jiffy.
  if (first.breakTime !== 0) w.wake = first.breakTime + 1;
  else {
    let t = -1;
    for (const l of inode.leases)
      for (const d of [l.breakTime, l.downgradeTime]) if (d !== 0 && (t < 0 || d < t)) t = d;
    w.wake = t < 0 ? -1 : Math.max(t + 1, s.now + 1);
  }
  p.wait = w;
}

/**
 * __break_lease for an open or truncate by `p`: starts the break (signalling holders),
 * then fails with EAGAIN for O_NONBLOCK, EINTR if a signal is pending, or sleeps.
 * On BLOCKED, `cont` (what the call does once the leases are gone) is stored in p.wait.
 */
/**
 * Exclusive layout leases (RFC v2 patch 02) are never recalled. `exclusive` says what a
 * breaker meeting one does: "refuse" fails before anything starts (ETXTBSY, or
 * `ownExclusive` for the holder's own process, 0 meaning it passes its own lease);
 * "wait" sleeps until the lease is gone (sigkill-optin, once the holder is killed).
 */
export interface BreakOpts { ownExclusive?: number; exclusive?: "refuse" | "wait"; skipPinned?: boolean }

export function breakLease(s: KState, p: Proc, inode: Inode, mode: number, cont: Partial<Wait> & BreakOpts): number {
  if (inode.leases.length === 0) return 0;
  const wantWrite = (mode & O_ACCMODE) !== O_RDONLY;
  const layout = cont.layout === true;
  const own = cont.ownExclusive ?? -EDEADLK;
  const passPid = own === 0 ? p.pid : -1;
  const skip = cont.skipPinned === true;
  timeOutLeases(s, inode);
  if (!anyLeasesConflict(inode, wantWrite, layout, passPid, skip)) return 0;
  if ((cont.exclusive ?? "refuse") === "refuse") {
    for (const l of inode.leases) {
      if (!leasesConflict(l, wantWrite, layout) || !(l.kind & FL_EXCLUSIVE) || passed(l, passPid, skip)) continue;
      return l.pid === p.pid ? own : -ETXTBSY; // before anything is recalled
    }
  }
  const breakTime = s.leaseBreakTime > 0 ? s.now + s.leaseBreakTime * 1000 : 0;
  for (const l of [...inode.leases]) {
    if (!leasesConflict(l, wantWrite, layout) || (l.kind & FL_EXCLUSIVE) || passed(l, passPid, skip)) continue;
    if (wantWrite) {
      if (l.flags & FL_UNLOCK_PENDING) continue;
      l.flags |= FL_UNLOCK_PENDING;
      l.breakTime = breakTime;
    } else {
      if (leaseBreaking(l)) continue;
      l.flags |= FL_DOWNGRADE_PENDING;
      l.downgradeTime = breakTime;
    }
    trace("break");
    leaseBreakCallback(s, l);
  }
  if (!anyLeasesConflict(inode, wantWrite, layout, passPid, skip)) return 0;
  if (mode & O_NONBLOCK) return -EAGAIN;
  const { ownExclusive: _own, exclusive: _excl, skipPinned: _skip, ...rest } = cont;
  return sleepOnLeases(s, p, inode, Object.assign(newWait("lease", inode.ino), { wantWrite, passPid, skipPinned: skip }, rest));
}

/** The `restart:` of __break_lease: a pending signal ends the wait at once (-ERESTARTSYS, no SA_RESTART: EINTR). */
function sleepOnLeases(s: KState, p: Proc, inode: Inode, w: Wait): number {
  if (p.sigpend > 0 || p.fatal !== 0) return -EINTR;
  queueBreaker(s, p, inode, w);
  return BLOCKED;
}

/** Sleeps until the pins taken under `l` are gone, then redoes `call` (sticky leases). */
export function waitUnpin(s: KState, p: Proc, l: Lease, call: string, args: (number | string)[]): number {
  if (p.sigpend > 0 || p.fatal !== 0) return -EINTR;
  p.wait = Object.assign(newWait("unpin", -1), { lease: l.id, op: "redo" as const, call, args: args.slice() });
  return BLOCKED;
}

/** The last fput of a file with a pinned sticky lease (close=block): the sleeper holds the file. */
export function waitUnpinHolding(p: Proc, l: Lease, file: number): number {
  p.wait = Object.assign(newWait("unpin", -1), { lease: l.id, op: "fput" as const, file });
  return BLOCKED;
}

/**
 * A woken breaker runs again (after wait_event_interruptible_timeout returns):
 * 0 when the leases no longer conflict, -EINTR on a signal, BLOCKED when it sleeps again.
 */
export function breakLeaseResume(s: KState, p: Proc): number {
  const w = p.wait!;
  p.wait = null;
  // locks_delete_block: breakers queued under this one are woken too.
  wakeUpBlocks(s, -1 - p.pid);
  if (p.sigpend > 0 || p.fatal !== 0) return -EINTR;
  // A layout breaker whose call starts over holds no reference to the inode: an unlinked
  // file may have been evicted meanwhile, with its leases. Nothing is left to wait for.
  const inode = s.inodes[w.ino];
  if (inode === null || inode === undefined) return 0;
  if (w.timedOut) timeOutLeases(s, inode);
  if (anyLeasesConflict(inode, w.wantWrite, w.layout, w.passPid, w.skipPinned)) return sleepOnLeases(s, p, inode, w);
  return 0;
}

/** Takes a sleeping breaker off the queue (the call was interrupted or its process died). */
export function abortBreaker(s: KState, p: Proc) {
  if (p.wait === null) return;
  p.wait = null;
  wakeUpBlocks(s, -1 - p.pid);
}

/** locks_remove_file, at the last fput: the file's lease goes (lease_modify F_UNLCK). */
export function locksRemoveFile(s: KState, f: OpenFile) {
  const inode = s.inodes[f.ino]!;
  for (const l of [...inode.leases]) if (l.file === f.id) leaseModify(s, inode, l, F_UNLCK);
}

/** check_conflicting_open (FL_LEASE): opens, including the caller's own, that forbid the lease. */
function checkConflictingOpen(inode: Inode, f: OpenFile, arg: number, kind: number): number {
  if (kind & FL_LAYOUT) return 0; // layouts do not conflict with opens
  if (arg === F_RDLCK) return inode.writecount > 0 ? -EAGAIN : 0;
  if (arg !== F_WRLCK) return 0;
  const selfW = f.fmode & FMODE_WRITE ? 1 : 0;
  const selfR = !selfW && f.fmode & FMODE_READ ? 1 : 0;
  if (inode.writecount !== selfW || inode.readcount !== selfR) return -EAGAIN;
  return 0;
}

/** fcntl(fd, F_SETLEASE, arg): fcntl_setlease -> vfs_setlease -> generic_setlease. */
export function fcntlSetlease(s: KState, p: Proc, fd: number, f: OpenFile, arg: number): number {
  const inode = s.inodes[f.ino]!;
  // lease_alloc -> assign_type: an unknown type is EINVAL before any permission check.
  // Layout arguments exist only where the policy has them (F_LAYOUT, F_LAYOUT|F_EXCLUSIVE).
  let kind = 0;
  if (arg !== F_RDLCK && arg !== F_WRLCK && arg !== F_UNLCK) {
    const k = s.pol.leaseArg(arg, f.signum);
    if (k < 0) return k;
    kind = k;
    arg = F_RDLCK;
  }
  // generic_setlease
  if (p.uid !== inode.uid && !(p.caps & CAP.LEASE)) return -EACCES;
  if ((inode.mode & S_IFMT) !== S_IFREG) return -EINVAL;
  if (arg === F_UNLCK) {
    // generic_delete_lease: no time_out_leases here. Under setlayout F_SETLEASE does not reach layouts.
    const apart = s.pol.setlayout;
    const l = inode.leases.find((x) => x.file === f.id && !(apart && x.kind & FL_LAYOUT));
    if (l === undefined) return -EAGAIN;
    const how = s.pol.unlock(l);
    if (how === "waitUnpin") return waitUnpin(s, p, l, "fcntl", [fd, F_SETLEASE, F_UNLCK]);
    if (how === "owned") return -EAGAIN;
    leaseModify(s, inode, l, F_UNLCK);
    return 0;
  }
  return genericAddLease(s, p, fd, f, inode, arg, kind);
}

function genericAddLease(s: KState, p: Proc, fd: number, f: OpenFile, inode: Inode, arg: number, kind: number): number {
  timeOutLeases(s, inode);
  let err = checkConflictingOpen(inode, f, arg, kind);
  if (err) return err;
  let mine: Lease | null = null;
  for (const l of inode.leases) {
    // The file's own lease of the same sort (a layout and a lease are separate entries).
    if (l.file === f.id && (l.kind & FL_LAYOUT) === (kind & FL_LAYOUT)) { mine = l; continue; }
    // No exclusive lease if someone else has one; no new lease while one is being unlocked.
    if (arg === F_WRLCK) return -EAGAIN;
    if (l.flags & FL_UNLOCK_PENDING) return -EAGAIN;
  }
  if (mine !== null) {
    leaseModify(s, inode, mine, arg); // lm_change
    mine.kind = kind;
  } else {
    if (!s.leasesEnable) return -EINVAL;
    const l: Lease = { id: s.nextLeaseId++, file: f.id, type: arg, flags: 0, breakTime: 0, downgradeTime: 0, pid: p.pid, faFd: -1, seq: s.nextSeq++, kind, pins: 0 };
    inode.leases.push(l);
    mine = l;
    // The re-check after insertion (the TOCTOU fix) sees the same counts here.
    err = checkConflictingOpen(inode, f, arg, kind);
    assert(err === 0, "conflicting open appeared during setlease");
  }
  // lease_setup: fasync entry for this fd (FASYNC set), owner = caller's tgid unless one is set.
  mine.faFd = fd;
  f.flags |= FASYNC;
  if (f.owner === 0) { f.owner = p.pid; f.ownerUid = p.uid; }
  trace("lease");
  return 0;
}

/** F_SETLAYOUT (Jeff Layton's proposal): a whole-file layout lease through its own command. */
export function fcntlSetlayout(s: KState, p: Proc, fd: number, f: OpenFile, arg: number): number {
  const inode = s.inodes[f.ino]!;
  if (arg !== F_RDLCK && arg !== F_WRLCK && arg !== F_UNLCK) return -EINVAL;
  if (p.uid !== inode.uid && !(p.caps & CAP.LEASE)) return -EACCES;
  if ((inode.mode & S_IFMT) !== S_IFREG) return -EINVAL;
  if (arg === F_UNLCK) {
    const l = inode.leases.find((x) => x.file === f.id && (x.kind & FL_LAYOUT));
    if (l === undefined) return -EAGAIN;
    leaseModify(s, inode, l, F_UNLCK);
    return 0;
  }
  return genericAddLease(s, p, fd, f, inode, F_RDLCK, FL_LAYOUT);
}

export function fcntlGetlayout(s: KState, f: OpenFile): number {
  const inode = s.inodes[f.ino]!;
  timeOutLeases(s, inode);
  const l = inode.leases.find((x) => x.file === f.id && (x.kind & FL_LAYOUT));
  return l === undefined ? F_UNLCK : targetLeaseType(l);
}

/** fcntl(fd, F_GETLEASE): fcntl_getlease (it runs time_out_leases first). */
export function fcntlGetlease(s: KState, f: OpenFile): number {
  const inode = s.inodes[f.ino]!;
  if (inode.leases.length === 0) return F_UNLCK;
  timeOutLeases(s, inode);
  // Under setlayout, layouts are apart from leases: F_GETLEASE does not see them.
  const apart = s.pol.setlayout;
  const l = inode.leases.find((x) => x.file === f.id && !(apart && x.kind & FL_LAYOUT));
  if (l === undefined) return F_UNLCK;
  // A layout lease answers the argument that set it (RFC v1: F_LAYOUT).
  if (l.kind & FL_LAYOUT && !leaseBreaking(l)) return F_LAYOUT | (l.kind & FL_EXCLUSIVE ? F_EXCLUSIVE : 0);
  return targetLeaseType(l);
}

/** /proc/locks lines for leases, newest first, with the blocked breakers under each. */
export function procLocksLines(s: KState): string[] {
  const all: { l: Lease; inode: Inode }[] = [];
  for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases) all.push({ l, inode });
  all.sort((a, b) => b.l.seq - a.l.seq);
  const out: string[] = [];
  const name = (pid: number) => procByPid(s, pid)?.name ?? String(pid);
  all.forEach(({ l, inode }, i) => {
    const id = i + 1;
    const t = targetLeaseType(l);
    const state = leaseBreaking(l) ? "BREAKING" : "ACTIVE";
    out.push(`${id}: LEASE ${state} ${t === F_WRLCK ? "WRITE" : t === F_RDLCK ? "READ" : "UNLCK"} ${name(l.pid)} ${inode.path} 0 EOF`);
    // locks_show: a pre-order walk of the blocked requests.
    const walk = (blocker: number) => {
      for (const q of waitersOf(s, blocker)) {
        out.push(`${id}: -> LEASE BREAKER ${q.wait!.wantWrite ? "WRITE" : "READ"} ${q.name} <none>:0 0 EOF`);
        walk(-1 - q.pid);
      }
    };
    walk(l.id);
  });
  return out;
}
