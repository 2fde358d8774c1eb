// File data on the block device: the parts of ext4, xfs and tmpfs the model needs
// (allocating writes, truncate, fallocate). Blocks hold their bytes; holes read as zeros.
import type { KState, Inode, Mount } from "../include/state.js";
import { allocBlock } from "./inode.js";
import { dropBlock, isShared, unshareBlock } from "./inode.js";
import { ENOSPC } from "../include/errno.js";

export function mountOf(s: KState, inode: Inode): Mount {
  return s.mounts[inode.mnt]!;
}

function blockBytes(m: Mount, b: number): string {
  return b < 0 ? "" : m.data[b]!;
}

function setBlockBytes(m: Mount, b: number, v: string) {
  let end = v.length;
  while (end > 0 && v.charCodeAt(end - 1) === 0) end--;
  m.data[b] = end === v.length ? v : v.slice(0, end);
  m.unwritten[b] = 0;
}

/** Replaces bytes [from, from+src.length) of a block's contents. */
function patch(cur: string, from: number, src: string): string {
  const padded = cur.length < from ? cur + "\0".repeat(from - cur.length) : cur;
  return padded.slice(0, from) + src + padded.slice(from + src.length);
}

/** Reads up to n bytes at off (never past i_size). */
export function readData(s: KState, inode: Inode, off: number, n: number): string {
  const m = mountOf(s, inode);
  const end = Math.min(inode.size, off + n);
  let out = "";
  for (let pos = off; pos < end;) {
    const fb = Math.floor(pos / m.bsize);
    const inb = pos - fb * m.bsize;
    const take = Math.min(m.bsize - inb, end - pos);
    const bytes = blockBytes(m, fb < inode.map.length ? inode.map[fb]! : -1);
    let chunk = bytes.slice(inb, inb + take);
    if (chunk.length < take) chunk += "\0".repeat(take - chunk.length);
    out += chunk;
    pos += take;
  }
  return out;
}

/** Makes file block fb backed by a block; false when the device is full. */
function ensureBlock(m: Mount, inode: Inode, fb: number): boolean {
  while (inode.map.length <= fb) inode.map.push(-1);
  if (inode.map[fb]! >= 0) return true;
  const b = allocBlock(m, inode.ino);
  if (b < 0) return false;
  inode.map[fb] = b;
  return true;
}

/** Writes bytes at off, allocating blocks; returns the count written or -ENOSPC. */
export function writeData(s: KState, inode: Inode, off: number, bytes: string): number {
  const m = mountOf(s, inode);
  let done = 0;
  while (done < bytes.length) {
    const pos = off + done;
    const fb = Math.floor(pos / m.bsize);
    const inb = pos - fb * m.bsize;
    const take = Math.min(m.bsize - inb, bytes.length - done);
    if (!ensureBlock(m, inode, fb)) break;
    // A shared block is copied first: the write goes to the file's own new block.
    if (!unshareBlock(s, inode, fb)) break;
    const b = inode.map[fb]!;
    setBlockBytes(m, b, patch(m.data[b]!, inb, bytes.slice(done, done + take)));
    done += take;
  }
  if (done === 0 && bytes.length > 0) return -ENOSPC;
  if (off + done > inode.size) inode.size = off + done;
  return done;
}

/** Zeroes bytes [from, to) of the file where they are backed by blocks. */
function zeroRange(s: KState, m: Mount, inode: Inode, from: number, to: number) {
  for (let pos = from; pos < to;) {
    const fb = Math.floor(pos / m.bsize);
    const inb = pos - fb * m.bsize;
    const take = Math.min(m.bsize - inb, to - pos);
    let b = fb < inode.map.length ? inode.map[fb]! : -1;
    // iomap_zero_range unshares a shared block first (IOMAP_UNSHARE-like COW), as a write would.
    if (b >= 0 && m.unwritten[b] === 0 && isShared(m, b) && unshareBlock(s, inode, fb)) b = inode.map[fb]!;
    // iomap_zero_range leaves unwritten extents alone: they read as zeros already.
    if (b >= 0 && m.unwritten[b] === 0 && !isShared(m, b)) setBlockBytes(m, b, patch(m.data[b]!, inb, "\0".repeat(take)));
    pos += take;
  }
}

/** Frees whole file blocks [first, last) (the punch and truncate paths). */
function freeBlocks(s: KState, m: Mount, inode: Inode, first: number, last: number) {
  for (let fb = first; fb < Math.min(last, inode.map.length); fb++) {
    const b = inode.map[fb]!;
    if (b >= 0) { inode.map[fb] = -1; dropBlock(s, m, b, inode.ino); }
  }
  while (inode.map.length > 0 && inode.map[inode.map.length - 1] === -1) inode.map.pop();
}

/** truncate_setsize + the filesystem's block truncation: blocks past the new EOF are freed, the tail zeroed. */
export function truncateData(s: KState, inode: Inode, size: number) {
  const m = mountOf(s, inode);
  if (size < inode.size) {
    orphanPages(s, inode, Math.ceil(size / m.bsize), Number.MAX_SAFE_INTEGER);
    zeroRange(s, m, inode, size, Math.min(inode.size, Math.ceil(size / m.bsize) * m.bsize));
    freeBlocks(s, m, inode, Math.ceil(size / m.bsize), inode.map.length);
  }
  inode.size = size;
}

/**
 * Allocates blocks over [off, off+len) (mode 0 and KEEP_SIZE), as unwritten extents. ZERO_RANGE
 * zeroes the partial blocks at its edges and turns the whole ones into unwritten extents
 * (ext4_zero_range's CONVERT_UNWRITTEN; xfs frees and preallocates them).
 */
export function allocateRange(s: KState, inode: Inode, off: number, len: number, zero: boolean, keepSize: boolean): number {
  const m = mountOf(s, inode);
  if (zero) zeroRange(s, m, inode, off, off + len);
  const first = Math.floor(off / m.bsize), last = Math.ceil((off + len) / m.bsize);
  for (let fb = first; fb < last; fb++) {
    const had = fb < inode.map.length && inode.map[fb]! >= 0;
    if (!ensureBlock(m, inode, fb)) return -ENOSPC;
    const whole = fb * m.bsize >= off && (fb + 1) * m.bsize <= off + len;
    if (!had || (zero && whole)) m.unwritten[inode.map[fb]!] = 1;
  }
  if (!keepSize && off + len > inode.size) inode.size = off + len;
  return 0;
}

/** FALLOC_FL_PUNCH_HOLE: whole blocks freed, partial ones zeroed; the size stays. */
export function punchHole(s: KState, inode: Inode, off: number, len: number) {
  const m = mountOf(s, inode);
  const end = Math.min(off + len, Math.max(inode.size, inode.map.length * m.bsize));
  const first = Math.ceil(off / m.bsize), last = Math.floor(end / m.bsize);
  if (first >= last) { zeroRange(s, m, inode, off, end); return; }
  zeroRange(s, m, inode, off, first * m.bsize);
  zeroRange(s, m, inode, last * m.bsize, end);
  orphanPages(s, inode, first, last);
  freeBlocks(s, m, inode, first, last);
}

/** FALLOC_FL_COLLAPSE_RANGE: blocks of the range freed, later blocks shifted down. Aligned by the caller. */
export function collapseRange(s: KState, inode: Inode, off: number, len: number) {
  const m = mountOf(s, inode);
  const first = off / m.bsize, n = len / m.bsize;
  orphanPages(s, inode, first, Number.MAX_SAFE_INTEGER);
  freeBlocks(s, m, inode, first, first + n);
  while (inode.map.length < first + n) inode.map.push(-1);
  inode.map.splice(first, n);
  while (inode.map.length > 0 && inode.map[inode.map.length - 1] === -1) inode.map.pop();
  inode.size -= len;
}

/** FALLOC_FL_INSERT_RANGE: a hole of len bytes inserted at off. Aligned by the caller. */
export function insertRange(s: KState, inode: Inode, off: number, len: number) {
  const m = mountOf(s, inode);
  const first = off / m.bsize, n = len / m.bsize;
  orphanPages(s, inode, first, Number.MAX_SAFE_INTEGER);
  if (first < inode.map.length) inode.map.splice(first, 0, ...new Array<number>(n).fill(-1));
  inode.size += len;
}

/** The logical block size of the model's devices (a loop device's and a pmem namespace's). */
const SECTOR = 512;

/** A written block backs this byte (holes and unwritten extents are read as zeros, unchecked). */
function mapped(inode: Inode, m: Mount, pos: number): boolean {
  const fb = Math.floor(pos / m.bsize);
  return fb < inode.map.length && inode.map[fb]! >= 0 && m.unwritten[inode.map[fb]!] === 0;
}

/**
 * O_DIRECT on ext4 and xfs (tmpfs has no rule; callers leave DAX files out): iomap_dio_bio_iter refuses a segment of mapped
 * blocks whose start or length is not sector-aligned. A write always maps its range first
 * (xfs_file_dio_write checks pos|count up front), so any unaligned write is refused; a read
 * only where a mapped block touches an unaligned edge of the request (holes and EOF are not checked).
 */
export function dioMisaligned(inode: Inode, m: Mount, pos: number, n: number, write: boolean): boolean {
  if (n === 0 || m.type === "tmpfs") return false;
  if (write) return ((pos | n) & (SECTOR - 1)) !== 0;
  return ((pos & (SECTOR - 1)) !== 0 && mapped(inode, m, pos))
    || (((pos + n) & (SECTOR - 1)) !== 0 && mapped(inode, m, pos + n - 1));
}

/** Does writing [off, off+n) need new blocks (a hole, or past the last block)? */
export function needsAllocation(s: KState, inode: Inode, off: number, n: number): boolean {
  const m = mountOf(s, inode);
  if (!m) return false;
  for (let fb = Math.floor(off / m.bsize); fb < Math.ceil((off + n) / m.bsize); fb++)
    if (fb >= inode.map.length || inode.map[fb]! < 0) return true;
  return false;
}

/** truncate_inode_pages_range: page-cache pages of file pages [first, last) leave the file; pinned ones live on as orphans. */
export function orphanPages(s: KState, inode: Inode, first: number, last: number) {
  const m = mountOf(s, inode);
  for (const g of s.pages) {
    if (g === null || g.ino !== inode.ino || g.index < first || g.index >= last) continue;
    // The folio keeps what it held when it left the file.
    const b = g.index < inode.map.length ? inode.map[g.index]! : -1;
    g.data = b >= 0 ? m.data[b]! : "";
    g.ino = -1;
  }
}
