// Inode lifetime and block ownership (fs/inode.c iput/evict, the filesystems' block allocators).
import type { KState, Inode, Mount } from "../include/state.js";
import { assert } from "../include/assert.js";
import { dropBlock } from "./refcount.js";

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
