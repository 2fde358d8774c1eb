// Memory blocks (drivers/base/memory.c, /sys/devices/system/memory/memoryN) and offlining
// one (mm/memory_hotplug.c offline_pages). The model's DRAM pages are the pinned page-cache
// and anonymous pages it keeps (state.ts Page); page id N stands at pfn N, and a memory
// block is MEMORY_BLOCK_PAGES pages (a real x86-64 block is 128 MiB; small here so that a
// script can tell blocks apart). FS-DAX pages are pmem (ZONE_DEVICE): they belong to no
// memory block, so offlining never touches them; the pmem namespace itself goes with its
// driver's unbind, where memunmap_pages waits for the pages' references (not modelled).
import { holdsFile } from "../fs/file.js";
import type { KState, Proc, PinSet } from "../include/state.js";
import { BLOCKED, CAP, PIN_PAGE, PState } from "../include/state.js";
import { ENOENT, EPERM } from "../include/errno.js";
import { newWait } from "../locks/locks.js";

export const MEMORY_BLOCK_PAGES = 4;
/** memory0 .. memory63 exist. */
export const NR_MEMORY_BLOCKS = 64;

/** Is a page of pages [first, last) (by id) pinned? */
export function blockPinned(s: KState, first: number, last: number): boolean {
  for (let id = first; id < last && id < s.pages.length; id++) if ((s.pages[id]?.pins ?? 0) > 0) return true;
  return false;
}

/** The pin sets holding a page of memory block n. */
function pinSetsOfBlock(s: KState, n: number): PinSet[] {
  const first = n * MEMORY_BLOCK_PAGES, last = first + MEMORY_BLOCK_PAGES;
  return s.pinsets.filter((ps): ps is PinSet => {
    if (ps === null) return false;
    for (let i = 0; i < ps.pinned.length; i += 4) if (ps.pinned[i] === PIN_PAGE && ps.pinned[i + 2]! >= first && ps.pinned[i + 2]! < last) return true;
    return false;
  });
}

/**
 * Dan Williams' proposal, memoryN/pinned_by: one line per live process holding a reference
 * that keeps a pin on the block (its RDMA context or io_uring instance open), by pid order.
 */
export function memoryBlockPinners(s: KState, n: number): Proc[] {
  const sets = pinSetsOfBlock(s, n);
  return s.procs.filter((p) => (p.state === PState.Running || p.state === PState.Blocked) && sets.some((ps) => holdsFile(s, p, ps.ctx)))
    .sort((a, b) => a.pid - b.pid);
}

/** The lines of /sys/devices/system/memory/memoryN/FILE, or -errno. */
export function catMemoryBlock(s: KState, path: string): string[] | number {
  const m = /^\/sys\/devices\/system\/memory\/memory(\d+)\/(pinned_by)$/.exec(path);
  if (m === null) return -ENOENT;
  const n = Number(m[1]);
  if (n >= NR_MEMORY_BLOCKS) return -ENOENT;
  if (!s.pol.memoryBlockView) return -ENOENT;
  return memoryBlockPinners(s, n).map((p) => p.name);
}

/**
 * echo offline > /sys/devices/system/memory/memoryN/state (memory_subsys_offline ->
 * offline_pages). FOLL_LONGTERM pins are never in ZONE_MOVABLE (the pin migrates the page out
 * first: check_and_migrate_movable_folios), so a pinned page sits in a ZONE_NORMAL block;
 * offline_pages isolates the range, then retries do_migrate_range, which cannot move a
 * pinned page, until none is left or a fatal signal comes (fatal_signal_pending: EINTR, and
 * the writer dies of it). The model sleeps until the pins are gone, then the block goes
 * offline. The model does not keep it offline: it answers whether offlining succeeds.
 */
export function sysMemoryOffline(s: KState, p: Proc, n: number): number {
  if (!(p.caps & CAP.SYS_ADMIN)) return -EPERM;
  if (n < 0 || n >= NR_MEMORY_BLOCKS) return -ENOENT;
  const first = n * MEMORY_BLOCK_PAGES, last = first + MEMORY_BLOCK_PAGES;
  if (!blockPinned(s, first, last)) return 0;
  p.wait = Object.assign(newWait("offline", -1), { start: first, end: last, op: "redo" as const, call: "memory_offline", args: [n] });
  return BLOCKED;
}
