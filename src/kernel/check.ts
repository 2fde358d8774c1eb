// Invariants of the whole state, checked after every step (the model's WARN_ONs).
import type { KState } from "./include/state.js";
import { FMODE_READ, FMODE_WRITE, PState, PIN_DAX } from "./include/state.js";
import { assert } from "./include/assert.js";

export function checkInvariants(s: KState) {
  // Task work and signal delivery finish inside a move.
  assert(s.delayedFput.length === 0, "__fput left for after the call returned");
  const fileRefs = new Map<number, number>();
  const inodeRefs = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  const users = new Map<number, number>();
  for (const p of s.procs) if (p.fdt >= 0) bump(users, p.fdt);
  s.fdts.forEach((t, id) => {
    if (t === null) return;
    assert(t.id === id && t.users === (users.get(id) ?? 0), `descriptor table ${id} has ${t.users} users, ${users.get(id) ?? 0} processes`);
    assert(t.cloexec.length === t.fds.length && t.cloexec.every((c, fd) => c === 0 || (c === 1 && t.fds[fd]! >= 0)), `close-on-exec bits of table ${id}`);
    for (const f of t.fds) if (f >= 0) bump(fileRefs, f);
  });
  for (const f of s.files) if (f !== null && f.sock !== null) for (const m of f.sock.queue) for (const id of m.files) bump(fileRefs, id);
  for (const p of s.procs) {
    for (const v of p.vmas) if (v.file >= 0) bump(fileRefs, v.file);
    if (p.state === PState.Blocked) assert(p.wait !== null, `${p.name} blocked without a wait`);
    if (p.wait !== null) {
      assert(p.state === PState.Blocked, `${p.name} has a wait but is not blocked`);
      if (p.wait.op === "open") { bump(fileRefs, p.wait.file); assert(s.fdts[p.fdt]?.fds[p.wait.fd] === -2, `${p.name} reserved fd ${p.wait.fd}`); }
      else if (p.wait.op === "truncate") bump(inodeRefs, p.wait.ino);
      else if (p.wait.op === "fput") bump(fileRefs, p.wait.file);
    }
    if (p.state === PState.Exited || p.state === PState.Killed) assert(p.fdt < 0 && p.vmas.length === 0, `dead ${p.name} holds files`);
  }
  for (const ps of s.pinsets) if (ps !== null && ps.hold >= 0) bump(fileRefs, ps.hold);
  const reads = new Map<number, number>(), writes = new Map<number, number>();
  for (const p of s.procs) if (p.wait !== null && p.wait.op === "truncate") bump(writes, p.wait.ino);
  s.files.forEach((f, id) => {
    if (f === null) return;
    assert(f.ref === (fileRefs.get(id) ?? 0), `file ${id} ref ${f.ref} but ${fileRefs.get(id) ?? 0} users`);
    bump(inodeRefs, f.ino);
    if (f.fmode & FMODE_WRITE) bump(writes, f.ino);
    else if (f.fmode & FMODE_READ) bump(reads, f.ino);
  });
  s.inodes.forEach((inode, ino) => {
    if (inode === null) return;
    assert(inode.ino === ino, `inode ${ino} numbered ${inode.ino}`);
    // Device nodes (outside every mount, linked) and mount roots are held for the whole run.
    const held = (inode.mnt < 0 && inode.nlink > 0) || inode.ino === s.mounts[inode.mnt]?.root ? 1 : 0;
    assert(inode.refs === (inodeRefs.get(ino) ?? 0) + held, `inode ${ino} refs ${inode.refs} but ${(inodeRefs.get(ino) ?? 0) + held} holders`);
    assert(inode.readcount === (reads.get(ino) ?? 0), `inode ${ino} readcount`);
    assert(inode.writecount === (writes.get(ino) ?? 0), `inode ${ino} writecount`);
    assert(inode.nlink > 0 || inode.refs > 0, `inode ${ino} unlinked and unused but not evicted`);
    for (const l of inode.leases) assert(s.files[l.file]?.ino === ino, `lease ${l.id} on a file of inode ${ino}`);
    if (inode.mnt >= 0) {
      const m = s.mounts[inode.mnt]!;
      for (const b of inode.map) if (b >= 0) assert(m.owner[b] === ino || (m.refcount[b] ?? 0) >= 2, `block ${b} in inode ${ino}'s map is owned by ${m.owner[b]}`);
    }
  });
  checkPins(s);
  s.mounts.forEach((m) => {
    assert(m.owner.length <= m.nblocks, `${m.path} uses more blocks than it has`);
    assert(m.unwritten.length === m.owner.length && m.unwritten.every((u, b) => u === 0 || (u === 1 && m.owner[b]! >= 0)), `${m.path}: unwritten marks off the owned blocks`);
    assert(m.holes === m.owner.filter((o) => o === -1).length, `${m.path} counts ${m.holes} free entries`);
    assert(m.holes === 0 || m.owner.indexOf(-1) >= m.hint, `${m.path}: a free block below the allocator's hint`);
    // Every owned block is mapped exactly as many times as its refcount says (1 when unshared).
    const mapped = new Map<number, number>();
    s.inodes.forEach((inode) => { if (inode !== null && s.mounts[inode.mnt] === m) for (const b of inode.map) if (b >= 0) mapped.set(b, (mapped.get(b) ?? 0) + 1); });
    for (let b = 0; b < m.refcount.length; b++) assert(typeof m.refcount[b] === "number", `${m.path}: refcount has a hole at ${b}`);
    m.refcount.forEach((r, b) => assert(r === 0 || (r >= 2 && m.owner[b]! >= 0), `${m.path}: block ${b} refcount ${r}`));
    mapped.forEach((n, b) => assert(n === Math.max(1, m.refcount[b] ?? 0), `${m.path}: block ${b} mapped ${n} times, refcount ${m.refcount[b] ?? 0}`));
    m.owner.forEach((ino, b) => {
      if (ino < 0) return;
      const inode = s.inodes[ino];
      assert(inode && inode.map.includes(b), `block ${b} of ${m.path} owned by inode ${ino}, which does not map it`);
    });
  });
}

/**
 * Pin accounting: every pin taken is held by a pin set or was released (/proc/vmstat's
 * nr_foll_pin_acquired = held + nr_foll_pin_released), and the counts on blocks, pages and
 * leases are the pin sets' own. A leak or a double unpin fails any run.
 */
function checkPins(s: KState) {
  let held = 0;
  const blockPins = s.mounts.map(() => new Map<number, number>());
  const pagePins = new Map<number, number>();
  const leasePins = new Map<number, number>();
  const bump = (m: Map<number, number>, k: number, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
  for (const ps of s.pinsets) {
    if (ps === null) continue;
    const q = ps.pinned;
    assert(q.length % 4 === 0 && (q.length === 0 || ps.files.length === q.length / 4), `pin set ${ps.id} is whole quads`);
    held += q.length / 4;
    if (ps.lease >= 0) bump(leasePins, ps.lease, q.length / 4);
    for (let i = 0; i < q.length; i += 4) {
      if (q[i] === PIN_DAX) bump(blockPins[q[i + 1]!]!, q[i + 2]!);
      else bump(pagePins, q[i + 2]!);
    }
  }
  assert(s.pinAcquired === held + s.pinReleased, `pins: ${s.pinAcquired} taken but ${held} held and ${s.pinReleased} released`);
  s.mounts.forEach((m, i) => {
    m.pins.forEach((n, b) => assert(n === (blockPins[i]!.get(b) ?? 0), `${m.path} block ${b} counts ${n} pins, its pin sets ${blockPins[i]!.get(b) ?? 0}`));
    for (const b of blockPins[i]!.keys()) assert(b < m.pins.length, `${m.path} block ${b} pinned but not counted`);
  });
  s.pages.forEach((g, id) => {
    if (g === null) return;
    assert(g.id === id && g.pins > 0 && g.pins === (pagePins.get(id) ?? 0), `page ${id} counts ${g.pins} pins, its pin sets ${pagePins.get(id) ?? 0}`);
  });
  for (const id of pagePins.keys()) assert(s.pages[id] != null, `pinned page ${id} is gone`);
  for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases)
    assert(l.pins === (leasePins.get(l.id) ?? 0), `lease ${l.id} counts ${l.pins} pins, the pin sets taken under it ${leasePins.get(l.id) ?? 0}`);
}
