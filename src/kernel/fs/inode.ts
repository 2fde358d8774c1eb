// Inode lifetime and block ownership (fs/inode.c iput/evict, the filesystems' block allocators),
// and shared blocks (xfs_refcount.c, xfs_reflink.c): how many file blocks map a physical
// block, dropping one mapping, and the copy on write that gives a file its own copy of a
// shared block before it is written (xfs_reflink_allocate_cow; on DAX, dax_iomap_rw's srcmap
// copy): the filesystem moves the block, so whatever pinned the old one no longer reaches the file.
import type { KState, Inode, Mount } from "../include/state.js";
import { assert } from "../include/assert.js";

/** Drops an inode reference; an unlinked inode with no users is evicted and its blocks freed. */
export function iput(s: KState, inode: Inode) {
  inode.refs--;
  assert(inode.refs >= 0, `inode ${inode.ino} refs`);
  if (inode.refs === 0 && inode.nlink === 0) evict(s, inode);
}

export function evict(s: KState, inode: Inode) {
  assert(inode.leases.length === 0, `evicting inode ${inode.ino} with leases`);
  // truncate_inode_pages_final: pinned page-cache pages live on as orphans, with their bytes.
  for (const g of s.pages) if (g !== null && g.ino === inode.ino) {
    const b = g.index < inode.map.length ? inode.map[g.index]! : -1;
    g.data = b >= 0 ? s.mounts[inode.mnt]!.data[b]! : "";
    g.ino = -1;
  }
  const m = s.mounts[inode.mnt]!;
  for (let i = 0; i < inode.map.length; i++) {
    const b = inode.map[i]!;
    if (b >= 0) { inode.map[i] = -1; dropBlock(s, m, b, inode.ino); }
  }
  inode.map.length = 0;
  s.inodes[inode.ino] = null;
}

/** The lowest free physical block, now owned by `ino`; -1 when the device is full. */
export function allocBlock(m: Mount, ino: number): number {
  let b = m.holes > 0 ? m.owner.indexOf(-1, m.hint) : -1;
  if (b >= 0) { m.holes--; m.hint = b + 1; }
  else {
    if (m.owner.length >= m.nblocks) return -1;
    b = m.owner.length;
    m.owner.push(-1);
    m.data.push("");
    m.unwritten.push(0);
  }
  m.owner[b] = ino;
  m.data[b] = "";
  m.unwritten[b] = 0;
  return b;
}

export function freeBlock(m: Mount, b: number, ino: number) {
  assert(m.owner[b] === ino, `block ${b} freed by inode ${ino} but owned by ${m.owner[b]}`);
  m.owner[b] = -1;
  m.unwritten[b] = 0;
  m.holes++;
  if (b < m.hint) m.hint = b;
  // A pinned DAX block freed by the filesystem keeps its bytes: the device still reaches them.
  if (!((m.pins[b] ?? 0) > 0)) m.data[b] = "";
  while (m.owner.length > 0 && m.owner[m.owner.length - 1] === -1 && !((m.pins[m.owner.length - 1] ?? 0) > 0)) { m.owner.pop(); m.data.pop(); m.unwritten.pop(); m.holes--; }
}

export function newInode(s: KState, mnt: number, mode: number, uid: number, gid: number, path: string): Inode {
  let ino = s.inodes.indexOf(null);
  if (ino < 0) ino = s.inodes.length;
  const inode: Inode = { ino, mnt, mode, uid, gid, size: 0, nlink: 1, readcount: 0, writecount: 0, refs: 0, map: [], leases: [], path };
  s.inodes[ino] = inode;
  return inode;
}

/** IS_DAX: the file's pages are its blocks (a DAX mount, dax=always). */
export function isDax(s: KState, inode: Inode): boolean {
  const m = s.mounts[inode.mnt];
  return m !== undefined && m.type !== "tmpfs" && m.dax === "always";
}

/** How many file blocks map physical block b (1 for an unshared owned block). */
export function blockRefs(m: Mount, b: number): number {
  return Math.max(1, m.refcount[b] ?? 0);
}

export function isShared(m: Mount, b: number): boolean {
  return b >= 0 && (m.refcount[b] ?? 0) >= 2;
}

/** Is a block under bytes [off, off+n) of the file shared with another mapping? */
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
