// Layouts: FL_LAYOUT leases and the pins on DAX pages that a layout change must respect
// (fs/dax.c dax_layout_busy_page_range / dax_break_layout, fs/xfs xfs_break_layouts,
// fs/ext4 ext4_break_layouts, include/linux/filelock.h break_layout).
import type { KState, Proc, Inode, Lease } from "../include/state.js";
import { FL_LAYOUT, FL_EXCLUSIVE, BLOCKED } from "../include/state.js";
import { O_WRONLY, O_NONBLOCK } from "../include/uapi.js";
import { breakLease, newWait } from "./locks.js";
import { EINTR } from "../include/errno.js";
import type { OpenFile } from "../include/state.js";

export function isDax(s: KState, inode: Inode): boolean {
  const m = s.mounts[inode.mnt];
  return m !== undefined && m.type !== "tmpfs" && m.dax === "always";
}

export function layoutLeases(inode: Inode): Lease[] {
  return inode.leases.filter((l) => (l.kind & FL_LAYOUT) !== 0);
}

/** A layout lease on `inode` set by process `pid` (exclusive ones only, if asked). */
export function heldLayout(inode: Inode, pid: number, exclusive: boolean): Lease | null {
  for (const l of inode.leases) {
    if (!(l.kind & FL_LAYOUT) || l.pid !== pid) continue;
    if (exclusive && !(l.kind & FL_EXCLUSIVE)) continue;
    return l;
  }
  return null;
}

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
export function daxWait(s: KState, p: Proc, inode: Inode, start: number, end: number, call: string, args: (number | string)[]): number {
  if (p.sigpend > 0 || p.fatal !== 0) return -EINTR;
  p.wait = Object.assign(newWait("dax", inode.ino), { start, end, op: "redo" as const, call, args: args.slice() });
  return BLOCKED;
}

/**
 * break_layout(inode, wait): every layout lease is told (SIGIO) and must go; a blocking
 * caller waits for them (or lease-break-time), then its call is redone. `ownExclusive`
 * is what the holder of an exclusive layout lease gets for breaking its own.
 */
export function breakLayout(s: KState, p: Proc, inode: Inode, wait: boolean, call: string, args: (number | string)[], ownExclusive: number, exclusive: "refuse" | "wait" = "refuse", skipPinned = false): number {
  return breakLease(s, p, inode, O_WRONLY | (wait ? 0 : O_NONBLOCK), { layout: true, op: "redo", call, args: args.slice(), ownExclusive, exclusive, skipPinned });
}

/** The lease with pins that `f` holds, if any. */
export function pinnedLeaseOf(s: KState, f: OpenFile): Lease | null {
  const inode = s.inodes[f.ino];
  if (inode === null || inode === undefined) return null;
  return inode.leases.find((l) => l.file === f.id && l.pins > 0) ?? null;
}

/** Sleeps until the pins taken under `l` are gone, then redoes `call` (sticky leases). */
export function waitUnpin(s: KState, p: Proc, l: Lease, call: string, args: (number | string)[]): number {
  if (p.sigpend > 0 || p.fatal !== 0) return -EINTR;
  p.wait = Object.assign(newWait("unpin", -1), { lease: l.id, op: "redo" as const, call, args: args.slice() });
  return BLOCKED;
}

/** The last fput of a file with a pinned sticky lease (close=block): the sleeper holds the file. */
export function waitUnpinHolding(s: KState, p: Proc, l: Lease, file: number): number {
  p.wait = Object.assign(newWait("unpin", -1), { lease: l.id, op: "fput" as const, file });
  return BLOCKED;
}
