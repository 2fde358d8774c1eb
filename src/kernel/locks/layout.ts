// Layouts: FL_LAYOUT leases and the pins on DAX pages that a layout change must respect
// (fs/dax.c dax_layout_busy_page_range / dax_break_layout, fs/xfs xfs_break_layouts,
// fs/ext4 ext4_break_layouts, include/linux/filelock.h break_layout). The policy decides
// what a layout change and the last close of a pinned leased file do; this file does it.
import type { KState, Proc, Inode, Lease, OpenFile } from "../include/state.js";
import { BLOCKED, FL_UNLOCK_PENDING } from "../include/state.js";
import { O_WRONLY } from "../include/uapi.js";
import { EINTR } from "../include/errno.js";
import { SIGKILL, SI_USER } from "../include/signal_names.js";
import { layoutLeases, heldLayout, isExclusive, isLayout } from "../include/lease.js";
import { breakLease, newWait, waitUnpinHolding } from "./locks.js";
import { isDax } from "../fs/inode.js";
import { sendSigio, sendSignal, procByPid } from "../sched/signal.js";
import { disassociate } from "../rdma/disassociate.js";

/** How a call that sleeps here starts over when it wakes. */
export interface Restart { call: string; args: (number | string)[] }

/** dax_layout_busy_page_range: is a DAX page of bytes [start, end) of the file pinned? Stops at the first. */
export function pinnedInRange(s: KState, inode: Inode, start: number, end: number): boolean {
  const m = s.mounts[inode.mnt];
  if (m === undefined) return false;
  const first = Math.floor(start / m.bsize), last = Math.min(Math.ceil(end / m.bsize), inode.map.length);
  for (let fb = first; fb < last; fb++) {
    const b = inode.map[fb]!;
    if (b >= 0 && (m.pins[b] ?? 0) > 0) return true;
  }
  return false;
}

/** The layout change waits for the pinned DAX pages of [start, end) to go idle (no timeout). */
function daxWait(p: Proc, inode: Inode, start: number, end: number, redo: Restart): number {
  if (p.sigpend > 0 || p.fatal !== 0) return -EINTR;
  p.wait = Object.assign(newWait("dax", inode.ino), { start, end, op: "redo" as const, call: redo.call, args: redo.args.slice() });
  return BLOCKED;
}

/**
 * Before a layout change over bytes [start, end) of `inode` (truncate, hole punch, collapse,
 * insert, zero range, or a write that must allocate): the policy's plan, carried out step by
 * step. 0 to go on, -errno, or BLOCKED (p.wait set; `redo` runs again when it wakes).
 */
export function layoutChange(s: KState, p: Proc, inode: Inode, start: number, end: number, frees: boolean, redo: Restart): number {
  const dax = isDax(s, inode);
  const plan = s.pol.layoutChange({
    dax, frees,
    pinnedLeases: inode.leases.some((l) => l.pins > 0 && isLayout(l)),
    ownExclusive: heldLayout(inode.leases, p.pid, true) !== null,
  });
  for (const step of plan) {
    switch (step.k) {
      case "tellPinnedHolders":
        if (!step.always && !pinnedInRange(s, inode, start, end)) break;
        for (const l of layoutLeases(inode.leases))
          if (l.pins > 0 && l.faFd >= 0 && !(l.flags & FL_UNLOCK_PENDING)) sendSigio(s, s.files[l.file]!, l.faFd);
        break;
      case "killExclusiveHolders":
        for (const l of layoutLeases(inode.leases)) {
          if (!isExclusive(l) || l.pid === p.pid) continue;
          const holder = procByPid(s, l.pid);
          if (holder !== null) sendSignal(s, holder, { signo: SIGKILL, code: SI_USER, fd: 0, band: 0 });
        }
        break;
      case "breakLayout": {
        // break_layout(inode, true): every layout lease is told (SIGIO) and must go.
        const r = breakLease(s, p, inode, O_WRONLY, {
          layout: true, op: "redo", call: redo.call, args: redo.args.slice(),
          ownExclusive: step.own, exclusive: step.exclusive, skipPinned: step.skipPinned,
        });
        if (r !== 0) return r;
        break;
      }
      case "refuseIfPinned":
        if (pinnedInRange(s, inode, start, end)) return -step.err;
        break;
      case "waitIfPinned": {
        const [from, to] = step.range ? [start, end] : [0, Number.MAX_SAFE_INTEGER];
        if (dax && pinnedInRange(s, inode, from, to)) return daxWait(p, inode, from, to, redo);
        break;
      }
    }
  }
  return 0;
}

/** The leases with pins that `f` holds. */
function pinnedLeasesOf(s: KState, f: OpenFile): Lease[] {
  const inode = s.inodes[f.ino];
  if (inode === null || inode === undefined) return [];
  return inode.leases.filter((l) => l.file === f.id && l.pins > 0);
}

/**
 * The last reference to a leased file whose lease still has pins goes (sticky's close=).
 * close(2) asks first (`closer` set): under close=block it sleeps until the pins are released,
 * holding the file (BLOCKED). At __fput (`closer` null): close=sigkill kills the processes
 * that registered the pins; close=revoke, and close=block reached from exit or munmap (which
 * cannot sleep for ever), revoke their memory regions (device disassociate).
 */
export function closeWithPins(s: KState, f: OpenFile, closer: Proc | null): number {
  const leases = pinnedLeasesOf(s, f);
  if (leases.length === 0) return 0;
  const what = s.pol.closeWithPins();
  if (closer !== null) return what === "block" ? waitUnpinHolding(closer, leases[0]!, f.id) : 0;
  if (what === "drop") return 0;
  for (const l of leases) {
    for (const ps of s.pinsets) {
      if (ps === null || ps.lease !== l.id || ps.pinned.length === 0) continue;
      if (what === "sigkill") {
        const q = procByPid(s, ps.pid);
        if (q !== null) sendSignal(s, q, { signo: SIGKILL, code: SI_USER, fd: 0, band: 0 });
      } else disassociate(s, s.files[ps.ctx]!);
    }
  }
  return 0;
}
