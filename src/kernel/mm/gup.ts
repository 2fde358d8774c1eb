// Long-term pins (mm/gup.c pin_user_pages with FOLL_LONGTERM): the pages behind a range
// of a process's address space are found (faulting in what is missing) and counted.
import type { KState, Proc, Vma, Inode, Page } from "../include/state.js";
import { PIN_DAX, PIN_PAGE, FK_INODE, FK_IO_URING } from "../include/state.js";
import { ringRegionPages } from "../io_uring/rings.js";
import * as U from "../include/uapi.js";
import { EFAULT } from "../include/errno.js";
import { allocBlock, isDax } from "../fs/inode.js";
import { unshareBlock } from "../fs/inode.js";
import { assert } from "../include/assert.js";
import { trace } from "../trace.js";

export interface PinOut { ret: number; pinned: number[]; files: string[]; lease: number }

function vmaAt(p: Proc, addr: number): Vma | null {
  for (const v of p.vmas) if (v.start <= addr && addr < v.end) return v;
  return null;
}

/** What backs one page of a VMA: the inode and file page, or null for anonymous memory. */
export function backing(s: KState, v: Vma, addr: number): { inode: Inode; index: number } | null {
  if (v.file < 0) return null;
  const f = s.files[v.file]!;
  if (f.kind !== FK_INODE) return null; // an io_uring's rings: kernel memory, not file pages
  return { inode: s.inodes[f.ino]!, index: v.pgoff + Math.floor((addr - v.start) / U.PAGE_SIZE) };
}

function newPage(s: KState, ino: number, index: number, data: string): Page {
  let id = s.pages.indexOf(null);
  if (id < 0) id = s.pages.length;
  const g: Page = { id, ino, index, data, pins: 0 };
  s.pages[id] = g;
  return g;
}

/** The page-cache (or shmem) page of file page `index`, made when first pinned. */
function cachePage(s: KState, inode: Inode, index: number): Page {
  for (const g of s.pages) if (g !== null && g.ino === inode.ino && g.index === index) return g;
  const m = s.mounts[inode.mnt]!;
  const b = index < inode.map.length ? inode.map[index]! : -1;
  return newPage(s, inode.ino, index, b >= 0 ? m.data[b]! : "");
}

/** check_vma_flags and the policy's FOLL_LONGTERM rules, for every VMA of the range, before any pin. */
function checkRange(s: KState, p: Proc, first: number, last: number, write: boolean, longterm: boolean, out: { lease: number }): number {
  for (let a = first; a < last; a += U.PAGE_SIZE) {
    const v = vmaAt(p, a);
    if (v === null) return -EFAULT;
    if (write && !(v.prot & U.PROT_WRITE)) return -EFAULT;
    if (!(v.prot & U.PROT_READ)) return -EFAULT;
    const vf = v.file >= 0 ? s.files[v.file]! : null;
    if (vf !== null && vf.kind === FK_IO_URING) {
      // An io_uring ring mapping: only the region's own pages are there.
      // The VMA's page offset past the region's first page (munmap may have split the mapping).
      const region = Math.floor(v.pgoff / 0x8000);
      if (v.pgoff - region * 0x8000 + (a - v.start) / U.PAGE_SIZE >= ringRegionPages(vf.sqEntries, region)) return -EFAULT;
      continue;
    }
    const bk = backing(s, v, a);
    if (bk === null) continue;
    if (bk.index * U.PAGE_SIZE >= bk.inode.size) return -EFAULT; // past EOF: the fault is SIGBUS
    if (longterm) {
      // A private mapping's written pages are anonymous copies (COW), which page cache rules
      // do not cover; check_vma_flags refuses any FS-DAX VMA all the same (vma_is_fsdax).
      const shared = v.flags !== U.MAP_PRIVATE;
      const dax = isDax(s, bk.inode);
      if (shared || !write || dax) {
        const m = s.mounts[bk.inode.mnt]!;
        const d = s.pol.longtermPin({ dax, write: write && shared, dirtyTracked: m.type !== "tmpfs", pid: p.pid, leases: bk.inode.leases });
        if (!d.ok) return -d.err;
        if (d.lease >= 0) out.lease = d.lease;
      }
    }
  }
  return 0;
}

/**
 * A DAX fault that finds the device full: -ENOSPC is VM_FAULT_SIGBUS (vmf_error), which GUP
 * returns as -EFAULT (vm_fault_to_errno). The pages pinned so far were counted as acquired
 * (try_grab_folio) and are released again (gup_put_folio).
 */
function faultFailed(s: KState, out: PinOut): PinOut {
  s.pinAcquired += out.pinned.length / 4;
  unpinQuads(s, out.pinned); out.ret = -EFAULT; out.pinned = []; out.files = [];
  return out;
}

/** pin_user_pages(start, len, FOLL_LONGTERM | (write ? FOLL_WRITE : 0)). */
export function pinUserPages(s: KState, p: Proc, addr: number, len: number, write: boolean): PinOut {
  const out: PinOut = { ret: 0, pinned: [], files: [], lease: -1 };
  if (len <= 0) { out.ret = -EFAULT; return out; }
  const first = Math.floor(addr / U.PAGE_SIZE) * U.PAGE_SIZE;
  const last = Math.ceil((addr + len) / U.PAGE_SIZE) * U.PAGE_SIZE;
  const leaseOut = { lease: -1 };
  const err = checkRange(s, p, first, last, write, true, leaseOut);
  if (err < 0) { out.ret = err; return out; }
  out.lease = leaseOut.lease;
  for (let a = first; a < last; a += U.PAGE_SIZE) {
    const v = vmaAt(p, a)!;
    const bk = backing(s, v, a);
    if (bk === null || (v.flags === U.MAP_PRIVATE && write)) {
      const g = newPage(s, -1, -1, bk === null ? "" : readBlock(s, bk.inode, bk.index));
      g.pins++;
      out.pinned.push(PIN_PAGE, -1, g.id, -1);
      out.files.push(bk === null ? "[anon]" : "[anon]");
      continue;
    }
    const { inode, index } = bk;
    const m = s.mounts[inode.mnt]!;
    if (isDax(s, inode) && !write && daxHole(s, inode, index)) {
      // fs/dax.c dax_fault_iter: a read fault on a hole or an unwritten extent maps the zero
      // page (dax_load_hole), not a block. The pin holds that page: a later write to the file
      // allocates a block the device never sees, and truncate has nothing of it to wait for.
      const g = newPage(s, -1, -1, "");
      g.pins++;
      out.pinned.push(PIN_PAGE, -1, g.id, -1);
      out.files.push("[zero page]");
      continue;
    }
    if (isDax(s, inode)) {
      // A write fault allocates a missing block: on FS-DAX the page is the block.
      while (inode.map.length <= index) inode.map.push(-1);
      if (inode.map[index]! < 0) {
        const b = allocBlock(m, inode.ino);
        if (b < 0) return faultFailed(s, out);
        inode.map[index] = b;
      }
      // A FOLL_WRITE fault on a shared block breaks the sharing first (copy on write): the pin
      // holds the file's own new block. A read pin holds the shared block itself. A full device
      // fails the COW with -ENOSPC, which the fault turns into EFAULT as for any allocation above.
      if (write && !unshareBlock(s, inode, index)) return faultFailed(s, out);
      const b = inode.map[index]!;
      while (m.pins.length <= b) m.pins.push(0);
      m.pins[b]!++;
      out.pinned.push(PIN_DAX, inode.mnt, b, inode.ino);
    } else {
      const g = cachePage(s, inode, index);
      g.pins++;
      out.pinned.push(PIN_PAGE, -1, g.id, inode.ino);
    }
    out.files.push(inode.path);
  }
  s.pinAcquired += out.pinned.length / 4;
  if (out.pinned.length > 0) trace("pin");
  return out;
}

/** No written block behind file page `index`: a hole, or an unwritten extent (IOMAP_HOLE, IOMAP_UNWRITTEN). */
function daxHole(s: KState, inode: Inode, index: number): boolean {
  const b = index < inode.map.length ? inode.map[index]! : -1;
  return b < 0 || s.mounts[inode.mnt]!.unwritten[b] === 1;
}

function readBlock(s: KState, inode: Inode, index: number): string {
  const b = index < inode.map.length ? inode.map[index]! : -1;
  return b >= 0 ? s.mounts[inode.mnt]!.data[b]! : "";
}

/** unpin_user_pages: the counts go down; a page nothing pins any more is let go. */
export function unpinQuads(s: KState, q: number[]) {
  for (let i = 0; i < q.length; i += 4) {
    if (q[i] === PIN_DAX) {
      const m = s.mounts[q[i + 1]!]!;
      const b = q[i + 2]!;
      assert((m.pins[b] ?? 0) > 0, `unpin of unpinned block ${b}`);
      m.pins[b]!--;
    } else {
      const g = s.pages[q[i + 2]!]!;
      assert(g !== null && g.pins > 0, `unpin of page ${q[i + 2]}`);
      if (--g.pins === 0) {
        s.pages[g.id] = null;
        while (s.pages.length > 0 && s.pages[s.pages.length - 1] === null) s.pages.pop();
      }
    }
  }
  s.pinReleased += q.length / 4;
  while (true) {
    let trimmed = false;
    for (const m of s.mounts) {
      while (m.pins.length > 0 && m.pins[m.pins.length - 1] === 0) { m.pins.pop(); trimmed = true; }
    }
    if (!trimmed) break;
  }
}

/** The pages a pin quad names are still where the pinner left them (for the properties). */
export function quadTarget(s: KState, q: number[], i: number): { kind: number; owner: number; block: number; page: Page | null } {
  if (q[i] === PIN_DAX) return { kind: PIN_DAX, owner: s.mounts[q[i + 1]!]!.owner[q[i + 2]!] ?? -1, block: q[i + 2]!, page: null };
  const g = s.pages[q[i + 2]!] ?? null;
  return { kind: PIN_PAGE, owner: g === null ? -1 : g.ino, block: -1, page: g };
}
