// Copying, encoding and hashing the whole state, for the explorer: plain data in,
// plain data out, in one canonical order (object keys that depend on history are sorted).
import type { KState, Proc, OpenFile, Inode, Mount, Lease, Wait, Vma } from "./include/state.js";
import type { SigInfo } from "../scenario/report.js";

// The copies are literals with the fields in the order the constructors make them, so
// that copies and originals share hidden classes and the hash's field reads stay fast.
export function cloneWait(w: Wait): Wait {
  return {
    kind: w.kind, ino: w.ino, wantWrite: w.wantWrite, layout: w.layout, passPid: w.passPid, skipPinned: w.skipPinned,
    start: w.start, end: w.end, lease: w.lease, blocker: w.blocker, seq: w.seq, wake: w.wake, woken: w.woken,
    timedOut: w.timedOut, op: w.op, file: w.file, fd: w.fd, len: w.len, call: w.call, args: w.args.slice(),
  };
}
export const cloneVma = (v: Vma): Vma => ({ start: v.start, end: v.end, file: v.file, pgoff: v.pgoff, prot: v.prot, flags: v.flags });
const cloneSig = (x: SigInfo): SigInfo => ({ signo: x.signo, code: x.code, fd: x.fd, band: x.band });
const cloneLease = (l: Lease): Lease => ({
  id: l.id, file: l.file, type: l.type, flags: l.flags, breakTime: l.breakTime, downgradeTime: l.downgradeTime,
  pid: l.pid, faFd: l.faFd, seq: l.seq, kind: l.kind, pins: l.pins,
});

export function cloneProc(p: Proc): Proc {
  return {
    pid: p.pid, name: p.name, ppid: p.ppid, uid: p.uid, gid: p.gid, caps: p.caps, sigDefault: p.sigDefault,
    state: p.state, code: p.code, fds: p.fds.slice(), vmas: p.vmas.map(cloneVma), mmapBase: p.mmapBase,
    sigs: p.sigs.map(cloneSig), sigpend: p.sigpend, fatal: p.fatal, wait: p.wait === null ? null : cloneWait(p.wait),
    call: p.call, ret: p.ret, done: p.done,
  };
}
const cloneFile = (f: OpenFile | null): OpenFile | null => (f === null ? null : {
  id: f.id, kind: f.kind, ref: f.ref, ino: f.ino, flags: f.flags, fmode: f.fmode, pos: f.pos, owner: f.owner,
  ownerUid: f.ownerUid, signum: f.signum, revoked: f.revoked, sqEntries: f.sqEntries,
});
function cloneInode(i: Inode | null): Inode | null {
  return i === null ? null : {
    ino: i.ino, mnt: i.mnt, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size, nlink: i.nlink, readcount: i.readcount,
    writecount: i.writecount, refs: i.refs, map: i.map.slice(), leases: i.leases.map(cloneLease), path: i.path,
  };
}
const cloneMount = (m: Mount): Mount => ({
  path: m.path, type: m.type, dax: m.dax, bsize: m.bsize, nblocks: m.nblocks, owner: m.owner.slice(), data: m.data.slice(), unwritten: m.unwritten.slice(),
  pins: m.pins.slice(), holes: m.holes, hint: m.hint, root: m.root, dev: m.dev,
});

export function cloneState(s: KState): KState {
  return {
    policy: s.policy, now: s.now, leaseBreakTime: s.leaseBreakTime, leasesEnable: s.leasesEnable,
    procs: s.procs.map(cloneProc),
    files: s.files.map(cloneFile),
    inodes: s.inodes.map(cloneInode),
    mounts: s.mounts.map(cloneMount),
    dents: { ...s.dents },
    nextLeaseId: s.nextLeaseId, nextSeq: s.nextSeq,
    pages: s.pages.map((p) => (p === null ? null : { ...p })),
    pinsets: s.pinsets.map((m) => (m === null ? null : { ...m, pinned: m.pinned.slice(), files: m.files.slice() })),
    pds: s.pds.map((d) => (d === null ? null : { ...d })),
    pinAcquired: s.pinAcquired, pinReleased: s.pinReleased,
    events: s.events.map((e) => ({ ...e })),
  };
}

/** The canonical encoding: JSON with the namespace's names sorted. Equal states, equal strings. */
export function encodeState(s: KState): string {
  const dents: Record<string, number> = {};
  for (const k of Object.keys(s.dents).sort()) dents[k] = s.dents[k]!;
  return JSON.stringify({ ...s, dents });
}

/**
 * A 64-bit hash (two 32-bit lanes, hex) of the canonical state, computed by walking it:
 * no encoding is built. Field values are laid out in a flat buffer (strings by a cached
 * hash), then mixed in one tight loop; each record reserves its room first, so the writes
 * are plain stores the compiler keeps inline. The namespace is folded in order-independently.
 */
export function hashState(s: KState): string {
  LEN = 0;
  room(8);
  let n = LEN;
  const B = BUF;
  B[n++] = s.now; B[n++] = s.leaseBreakTime; B[n++] = s.leasesEnable; B[n++] = s.nextLeaseId; B[n++] = s.nextSeq;
  B[n++] = strHash(s.policy); B[n++] = s.pinAcquired; B[n++] = s.pinReleased;
  LEN = n;
  for (let i = 0; i < s.procs.length; i++) hashProc(s.procs[i]!);
  room(1); BUF[LEN++] = -2;
  for (let i = 0; i < s.files.length; i++) hashFile(s.files[i]!);
  room(1); BUF[LEN++] = -3;
  for (let i = 0; i < s.inodes.length; i++) hashInode(s.inodes[i]!);
  for (let i = 0; i < s.mounts.length; i++) hashMount(s.mounts[i]!);
  hashDents(s.dents);
  for (let i = 0; i < s.pages.length; i++) {
    const g = s.pages[i]!;
    room(5);
    if (g === null) BUF[LEN++] = -1;
    else { n = LEN; BUF[n++] = g.id; BUF[n++] = g.ino; BUF[n++] = g.index; BUF[n++] = strHash(g.data); BUF[n++] = g.pins; LEN = n; }
  }
  room(1); BUF[LEN++] = -4;
  for (let i = 0; i < s.pinsets.length; i++) {
    const m = s.pinsets[i]!;
    if (m === null) { room(1); BUF[LEN++] = -1; continue; }
    room(16);
    n = LEN;
    BUF[n++] = m.id; BUF[n++] = strHash(m.kind); BUF[n++] = m.ctx; BUF[n++] = m.pd; BUF[n++] = m.pid; BUF[n++] = m.addr;
    BUF[n++] = m.len; BUF[n++] = m.access; BUF[n++] = m.odp ? 1 : 0; BUF[n++] = m.dead ? 1 : 0; BUF[n++] = m.lease; BUF[n++] = m.hold;
    LEN = n;
    nums(m.pinned);
    room(m.files.length + 1);
    BUF[LEN++] = m.files.length;
    for (let k = 0; k < m.files.length; k++) BUF[LEN++] = strHash(m.files[k]!);
  }
  room(s.pds.length * 2 + 2 + s.events.length * 2);
  BUF[LEN++] = s.pds.length;
  for (let i = 0; i < s.pds.length; i++) { const d = s.pds[i]!; BUF[LEN++] = d === null ? -1 : d.ctx; }
  BUF[LEN++] = s.events.length;
  for (let i = 0; i < s.events.length; i++) { BUF[LEN++] = strHash(s.events[i]!.property); BUF[LEN++] = strHash(s.events[i]!.detail); }
  return digest();
}

function hashProc(p: Proc) {
  room(48);
  let n = LEN;
  const B = BUF;
  B[n++] = p.pid; B[n++] = strHash(p.name); B[n++] = p.ppid; B[n++] = p.uid; B[n++] = p.gid; B[n++] = p.caps;
  B[n++] = p.sigDefault ? 1 : 0; B[n++] = p.state; B[n++] = p.code; B[n++] = p.mmapBase; B[n++] = p.sigpend;
  B[n++] = p.fatal; B[n++] = strHash(p.call); B[n++] = p.ret; B[n++] = p.done ? 1 : 0;
  const w = p.wait;
  if (w === null) B[n++] = -1;
  else {
    B[n++] = strHash(w.kind); B[n++] = w.ino; B[n++] = w.wantWrite ? 1 : 0; B[n++] = w.layout ? 1 : 0; B[n++] = w.passPid;
    B[n++] = w.skipPinned ? 1 : 0; B[n++] = w.start; B[n++] = w.end; B[n++] = w.lease; B[n++] = w.blocker; B[n++] = w.seq;
    B[n++] = w.wake; B[n++] = w.woken ? 1 : 0; B[n++] = w.timedOut ? 1 : 0; B[n++] = strHash(w.op); B[n++] = w.file;
    B[n++] = w.fd; B[n++] = w.len; B[n++] = strHash(w.call); B[n++] = w.args.length;
  }
  LEN = n;
  if (w !== null) {
    room(w.args.length);
    for (let i = 0; i < w.args.length; i++) { const a = w.args[i]!; BUF[LEN++] = typeof a === "string" ? strHash(a) : a; }
  }
  nums(p.fds);
  room(p.vmas.length * 6 + p.sigs.length * 4 + 2);
  n = LEN;
  BUF[n++] = p.vmas.length;
  for (let i = 0; i < p.vmas.length; i++) {
    const v = p.vmas[i]!;
    BUF[n++] = v.start; BUF[n++] = v.end; BUF[n++] = v.file; BUF[n++] = v.pgoff; BUF[n++] = v.prot; BUF[n++] = v.flags;
  }
  BUF[n++] = p.sigs.length;
  for (let i = 0; i < p.sigs.length; i++) {
    const x = p.sigs[i]!;
    BUF[n++] = x.signo; BUF[n++] = x.code; BUF[n++] = x.fd; BUF[n++] = x.band;
  }
  LEN = n;
}

function hashFile(f: OpenFile | null) {
  room(12);
  const B = BUF;
  let n = LEN;
  if (f === null) B[n++] = -1;
  else {
    B[n++] = f.id; B[n++] = f.kind; B[n++] = f.ref; B[n++] = f.ino; B[n++] = f.flags; B[n++] = f.fmode; B[n++] = f.pos;
    B[n++] = f.owner; B[n++] = f.ownerUid; B[n++] = f.signum; B[n++] = f.revoked ? 1 : 0; B[n++] = f.sqEntries;
  }
  LEN = n;
}

function hashInode(i: Inode | null) {
  if (i === null) { room(1); BUF[LEN++] = -1; return; }
  room(14 + i.leases.length * 11);
  let n = LEN;
  const B = BUF;
  B[n++] = i.ino; B[n++] = i.mnt; B[n++] = i.mode; B[n++] = i.uid; B[n++] = i.gid; B[n++] = i.size; B[n++] = i.nlink;
  B[n++] = i.readcount; B[n++] = i.writecount; B[n++] = i.refs; B[n++] = strHash(i.path); B[n++] = i.leases.length;
  for (let k = 0; k < i.leases.length; k++) {
    const l = i.leases[k]!;
    B[n++] = l.id; B[n++] = l.file; B[n++] = l.type; B[n++] = l.flags; B[n++] = l.breakTime; B[n++] = l.downgradeTime;
    B[n++] = l.pid; B[n++] = l.faFd; B[n++] = l.seq; B[n++] = l.kind; B[n++] = l.pins;
  }
  LEN = n;
  nums(i.map);
}

function hashMount(m: Mount) {
  room(12);
  let n = LEN;
  const B = BUF;
  B[n++] = strHash(m.path); B[n++] = strHash(m.type); B[n++] = strHash(m.dax); B[n++] = m.bsize; B[n++] = m.nblocks;
  B[n++] = m.holes; B[n++] = m.hint; B[n++] = m.root; B[n++] = m.dev;
  LEN = n;
  nums(m.owner);
  nums(m.unwritten);
  nums(m.pins);
  room(m.data.length + 1);
  BUF[LEN++] = m.data.length;
  for (let i = 0; i < m.data.length; i++) BUF[LEN++] = strHash(m.data[i]!);
}

/** The namespace: a sum of per-name hashes does not depend on the order names were made. */
function hashDents(dents: Record<string, number>) {
  let d1 = 0, d2 = 0;
  for (const k in dents) {
    const e = strHash(k) ^ Math.imul(dents[k]! + 1, 0x9e3779b1);
    d1 = (d1 + e) | 0;
    d2 = (d2 + Math.imul(e, 0x85ebca6b)) | 0;
  }
  room(2);
  BUF[LEN++] = d1;
  BUF[LEN++] = d2;
}

// The values go into a Float64Array; the digest reads the same bytes as int32 pairs, so no
// value is converted from double to integer on the way (a slow path for values past 2^31).
let BUF = new Float64Array(1 << 12);
let WORDS = new Int32Array(BUF.buffer);
let LEN = 0;

/** Makes room for k more values. */
function room(k: number) {
  if (LEN + k <= BUF.length) return;
  let size = BUF.length * 2;
  while (size < LEN + k) size *= 2;
  const bigger = new Float64Array(size);
  bigger.set(BUF.subarray(0, LEN));
  BUF = bigger;
  WORDS = new Int32Array(bigger.buffer);
}

function nums(xs: number[]) {
  room(xs.length + 1);
  let n = LEN;
  const B = BUF;
  B[n++] = xs.length;
  for (let i = 0; i < xs.length; i++) B[n++] = xs[i]!;
  LEN = n;
}

/** murmur3's finalizer. */
function fmix(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const HEX = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/**
 * 64 bits over the values' IEEE bits: two pairs of 32-bit lanes, (a, b) over even values and
 * (c, d) over odd ones, so that the two multiply chains run side by side; each value reaches
 * 64 bits of lane state, and the finalizer folds all four. (Lanes start as int32: a constant
 * above 2^31 would make them doubles.)
 */
function digest(): string {
  let a = 0x811c9dc5 | 0, b = 0x2545f491 | 0, c = 0x3c6ef372 | 0, d = 0x1b873593 | 0;
  const W = WORDS, n = LEN * 2;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    // -0 (high word 0x80000000, low 0) is hashed as 0, as encodeState writes it.
    const x = W[i]!, u = W[i + 2]!;
    let y = W[i + 1]!, w = W[i + 3]!;
    if (y === -2147483648 && x === 0) y = 0;
    if (w === -2147483648 && u === 0) w = 0;
    a = Math.imul(a ^ x, 0x01000193) ^ y;
    b = Math.imul(b ^ y ^ Math.imul(x, 0x27d4eb2d), 0x5bd1e995); b ^= b >>> 15;
    c = Math.imul(c ^ u, 0x01000193) ^ w;
    d = Math.imul(d ^ w ^ Math.imul(u, 0x27d4eb2d), 0x5bd1e995); d ^= d >>> 15;
  }
  if (i < n) {
    const x = W[i]!;
    let y = W[i + 1]!;
    if (y === -2147483648 && x === 0) y = 0;
    a = Math.imul(a ^ x, 0x01000193) ^ y;
    b = Math.imul(b ^ y ^ Math.imul(x, 0x27d4eb2d), 0x5bd1e995);
  }
  a = fmix(a ^ Math.imul(c, 0x9e3779b1) ^ n);
  b = fmix(b + Math.imul(d, 0x85ebca77) + a);
  const H = HEX;
  return String.fromCharCode(
    H[a >>> 28]!, H[(a >>> 24) & 15]!, H[(a >>> 20) & 15]!, H[(a >>> 16) & 15]!,
    H[(a >>> 12) & 15]!, H[(a >>> 8) & 15]!, H[(a >>> 4) & 15]!, H[a & 15]!,
    H[b >>> 28]!, H[(b >>> 24) & 15]!, H[(b >>> 20) & 15]!, H[(b >>> 16) & 15]!,
    H[(b >>> 12) & 15]!, H[(b >>> 8) & 15]!, H[(b >>> 4) & 15]!, H[b & 15]!);
}

const STR_CACHE = new Map<string, number>();

/** FNV-1a, cached: a Map lookup beats hashing even short names again (measured). */
function strHash(x: string): number {
  let v = STR_CACHE.get(x);
  if (v === undefined) {
    v = fnv(x);
    if (STR_CACHE.size > 100_000) STR_CACHE.clear();
    STR_CACHE.set(x, v);
  }
  return v;
}

function fnv(x: string): number {
  let v = 0x811c9dc5 ^ x.length;
  for (let i = 0; i < x.length; i++) v = Math.imul(v ^ x.charCodeAt(i), 0x01000193);
  return v;
}
