// Shared blocks (xfs_refcount.c, xfs_reflink.c): how many file blocks map a physical block,
// dropping one mapping, and the copy on write that gives a file its own copy of a shared
// block before it is written (xfs_reflink_allocate_cow; on DAX, dax_iomap_rw's srcmap copy):
// the filesystem moves the block, so whatever pinned the old one no longer reaches the file.
import type { KState, Mount, Inode } from "../include/state.js";
import { allocBlock, freeBlock } from "./inode.js";

/** How many file blocks map physical block b (1 for an unshared owned block). */
export function blockRefs(m: Mount, b: number): number {
  return Math.max(1, m.refcount[b] ?? 0);
}

export function isShared(m: Mount, b: number): boolean {
  return b >= 0 && (m.refcount[b] ?? 0) >= 2;
}

/** Is a block of file blocks [first, last) shared with another mapping? */
export function sharedInRange(s: KState, inode: Inode, off: number, n: number): boolean {
  const m = s.mounts[inode.mnt];
  if (m === undefined || n <= 0) return false;
  for (let fb = Math.floor(off / m.bsize); fb < Math.min(Math.ceil((off + n) / m.bsize), inode.map.length); fb++)
    if (isShared(m, inode.map[fb]!)) return true;
  return false;
}

/** Sets block b's count, padding with zeros (the state stays a dense array of numbers). */
export function setRefcount(m: Mount, b: number, n: number) {
  while (m.refcount.length <= b) m.refcount.push(0);
  m.refcount[b] = n;
  trim(m);
}

function trim(m: Mount) {
  while (m.refcount.length > 0 && (m.refcount[m.refcount.length - 1] ?? 0) === 0) m.refcount.pop();
}

/**
 * A file block that mapped b no longer does (its map entry is already -1): a shared block
 * loses one reference (xfs_refcount_decrease_extent), an unshared one is freed. When the
 * owner lets go, the first inode that still maps it owns it.
 */
export function dropBlock(s: KState, m: Mount, b: number, ino: number) {
  if (!isShared(m, b)) { freeBlock(m, b, ino); return; }
  const n = m.refcount[b]! - 1;
  setRefcount(m, b, n === 1 ? 0 : n);
  if (m.owner[b] !== ino) return;
  const mnt = s.mounts.indexOf(m);
  const next = s.inodes.find((i) => i !== null && i.mnt === mnt && i.map.includes(b));
  m.owner[b] = next === undefined || next === null ? ino : next.ino;
}

/**
 * Copy on write: file block fb of `inode` gets a block of its own with the same bytes,
 * and the shared one stays with the other mappings. False when the device is full.
 */
export function unshareBlock(s: KState, inode: Inode, fb: number): boolean {
  const m = s.mounts[inode.mnt]!;
  const old = inode.map[fb]!;
  if (!isShared(m, old)) return true;
  const b = allocBlock(m, inode.ino);
  if (b < 0) return false;
  m.data[b] = m.data[old]!;
  m.unwritten[b] = m.unwritten[old]!;
  inode.map[fb] = b;
  dropBlock(s, m, old, inode.ino);
  return true;
}
