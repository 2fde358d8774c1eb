// mmap(2) and munmap(2) (mm/mmap.c, mm/vma.c): a mapping holds its struct file.
import type { KState, Proc, Vma } from "../include/state.js";
import { FMODE_READ, FMODE_WRITE, FK_IO_URING } from "../include/state.js";
import * as U from "../include/uapi.js";
import { EACCES, EBADF, EINVAL, ENODEV, ENOMEM, EOVERFLOW } from "../include/errno.js";
import { fget, getFile, fput, inodeOf } from "../fs/file.js";
import { cloneVma } from "../snapshot.js";
import { bound } from "../include/assert.js";

export const MMAP_TOP = 0x7f0000000000;

/** Top-down placement below the last mapping, as get_unmapped_area does (without randomisation). */
function unmappedArea(p: Proc, len: number): number {
  let top = p.mmapBase;
  // Each round moves below one mapping.
  for (let round = 0; ; round++) {
    bound(round, p.vmas.length + 1, "unmappedArea");
    const start = top - len;
    const clash = p.vmas.find((v) => v.start < top && v.end > start);
    if (clash === undefined) return start;
    top = clash.start;
  }
}

/** The lowest address a mapping may have: CONFIG_LSM_MMAP_MIN_ADDR, above vm.mmap_min_addr (4096). */
const MMAP_MIN_ADDR = 0x10000;

/**
 * A hint (do_mmap's round_hint_to_min: rounded down to a page, raised to mmap_min_addr),
 * or 0 for none. arch_get_unmapped_area_topdown (x86) takes it when the range is free.
 */
function hintAt(p: Proc, addr: number, len: number): number {
  if (addr <= 0) return 0;
  const start = Math.max(Math.floor(addr / U.PAGE_SIZE) * U.PAGE_SIZE, MMAP_MIN_ADDR);
  // The model's address space ends at mmapBase (the kernel also has the program's own mappings above).
  if (start + len > p.mmapBase) return 0;
  return p.vmas.some((v) => v.start < start + len && v.end > start) ? 0 : start;
}

export function sysMmap(s: KState, p: Proc, addr: number, len: number, prot: number, flags: number, fd: number, off: number): number {
  if (off % U.PAGE_SIZE !== 0) return -EINVAL;
  const type = flags & U.MAP_SHARED_VALIDATE;
  if (!(flags & U.MAP_ANONYMOUS) && fget(s, p, fd) === null) return -EBADF;
  if (len === 0) return -EINVAL;
  // do_mmap: len and off are unsigned: a "negative" length has no room (ENOMEM), a
  // negative offset overflows pgoff + pages (EOVERFLOW).
  if (len < 0) return -ENOMEM;
  if (off < 0) return -EOVERFLOW;
  if (type === 0) return -EINVAL;
  const plen = Math.ceil(len / U.PAGE_SIZE) * U.PAGE_SIZE;
  if (flags & U.MAP_ANONYMOUS) return mapAt(s, p, addr, plen, flags, -1, 0, prot, type);
  const f = fget(s, p, fd)!;
  if (f.kind === FK_IO_URING) {
    // io_uring_mmap: the high bits of the offset (IORING_OFF_MMAP_MASK) choose the SQ ring,
    // the CQ ring or the SQE array; any other region does not exist (ENOMEM). The pages are
    // kernel memory, pinned like anonymous memory; the mapping holds the ring's file.
    // io_uring_get_unmapped_area picks the address itself: any hint, or MAP_FIXED, is EINVAL.
    if (addr !== 0) return -EINVAL;
    const region = ringRegion(off);
    if (region > 2) return -ENOMEM;
    getFile(f);
    // The offset within a region is ignored: the mapping starts at the region's first page.
    return mapAt(s, p, addr, plen, flags, f.id, region * 0x8000000, prot, type);
  }
  const inode = inodeOf(s, f.ino);
  if ((inode.mode & U.S_IFMT) !== U.S_IFREG) return -ENODEV;
  // do_mmap: a shared writable mapping needs a writable file; every mapping a readable one.
  if (type !== U.MAP_PRIVATE && (prot & U.PROT_WRITE) && !(f.fmode & FMODE_WRITE)) return -EACCES;
  if (!(f.fmode & FMODE_READ)) return -EACCES;
  if ((flags & U.MAP_FIXED) && addr % U.PAGE_SIZE !== 0) return -EINVAL;
  getFile(f);
  return mapAt(s, p, addr, plen, flags, f.id, off, prot, type);
}

/** The ring region an io_uring mmap offset names: its bits under IORING_OFF_MMAP_MASK (0xf8000000). */
export function ringRegion(off: number): number {
  return (off >>> 27) & 31;
}

/** Places the new VMA (MAP_FIXED replaces what was there). `file` -1 is anonymous memory. */
function mapAt(s: KState, p: Proc, addr: number, plen: number, flags: number, file: number, off: number, prot: number, type: number): number {
  let start: number;
  if (flags & U.MAP_FIXED) {
    if (addr % U.PAGE_SIZE !== 0) return -EINVAL;
    start = addr;
    unmapRange(s, p, start, start + plen);
  } else start = hintAt(p, addr, plen) || unmappedArea(p, plen);
  if (start <= 0) return -ENOMEM;
  const v: Vma = { start, end: start + plen, file, pgoff: off / U.PAGE_SIZE, prot, flags: type };
  p.vmas.push(v);
  p.vmas.sort((a, b) => a.start - b.start);
  return start;
}

/** Removes [start, end) from the address space, splitting mappings that straddle it. */
function unmapRange(s: KState, p: Proc, start: number, end: number) {
  const keep: Vma[] = [];
  for (const v of p.vmas) {
    if (v.end <= start || v.start >= end) { keep.push(v); continue; }
    if (v.start < start) { const left = cloneVma(v); left.end = start; keep.push(left); }
    if (v.end > end) { const right = cloneVma(v); right.start = end; right.pgoff = v.pgoff + (end - v.start) / U.PAGE_SIZE; keep.push(right); }
    const pieces = (v.start < start ? 1 : 0) + (v.end > end ? 1 : 0);
    // Each remaining piece holds the file; the removed VMA's reference goes.
    if (v.file < 0) continue;
    for (let i = 0; i < pieces; i++) getFile(s.files[v.file]!);
    fput(s, v.file);
  }
  p.vmas = keep.sort((a, b) => a.start - b.start);
}

export function sysMunmap(s: KState, p: Proc, addr: number, len: number): number {
  if (addr % U.PAGE_SIZE !== 0 || len <= 0 || addr < 0) return -EINVAL;
  unmapRange(s, p, addr, addr + Math.ceil(len / U.PAGE_SIZE) * U.PAGE_SIZE);
  return 0;
}
