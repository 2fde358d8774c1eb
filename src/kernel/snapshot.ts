// Copying, encoding and hashing the whole state, for the explorer: plain data in, plain data
// out. One walk lays the state's canonical values out in a flat buffer; the hash digests it,
// the exact key packs it, the encoding prints it, so the three always agree. Canonical means:
// what the machine will do next depends on nothing left out. Left out are absolute time (only
// deadlines relative to now matter), the ever-growing counters (lease ids and list positions
// become ranks; /proc/vmstat's pin counters, which only `cat` shows), the global order of
// leases on different files (only the order of /proc/locks' lines shows it), the policy's ops,
// and the numbering of open files, memory regions, protection domains and pinned pages, which
// depends on the order in which processes made them: they are renumbered in a canonical
// order (what holds them, in pid order), so that machines equal up to that numbering are one.
import type { KState, Proc, OpenFile, Inode, Mount, Lease, Wait, Vma, SigInfo, FdTable, Sock } from "./include/state.js";
import { PIN_PAGE } from "./include/state.js";

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
  pid: l.pid, faFd: l.faFd, kind: l.kind, pins: l.pins, seq: l.seq,
});

export function cloneProc(p: Proc): Proc {
  return {
    pid: p.pid, name: p.name, ppid: p.ppid, uid: p.uid, gid: p.gid, caps: p.caps, sigDefault: p.sigDefault,
    state: p.state, code: p.code, fdt: p.fdt, vmas: p.vmas.map(cloneVma), mmapBase: p.mmapBase,
    sigq: p.sigq.map(cloneSig), sigpend: p.sigpend, fatal: p.fatal, wait: p.wait === null ? null : cloneWait(p.wait),
  };
}
const cloneSock = (k: Sock): Sock => ({
  type: k.type, peer: k.peer, shut: k.shut, err: k.err, queue: k.queue.map((m) => ({ data: m.data, files: m.files.slice(), pid: m.pid })),
});
const cloneFile = (f: OpenFile | null): OpenFile | null => (f === null ? null : {
  id: f.id, kind: f.kind, ref: f.ref, ino: f.ino, flags: f.flags, fmode: f.fmode, pos: f.pos, owner: f.owner,
  ownerUid: f.ownerUid, signum: f.signum, revoked: f.revoked, asyncEvent: f.asyncEvent, sqEntries: f.sqEntries, obj: f.obj, sock: f.sock === null ? null : cloneSock(f.sock),
});
const cloneFdt = (t: FdTable | null): FdTable | null => (t === null ? null : { id: t.id, users: t.users, fds: t.fds.slice(), cloexec: t.cloexec.slice() });
function cloneInode(i: Inode | null): Inode | null {
  return i === null ? null : {
    ino: i.ino, mnt: i.mnt, mode: i.mode, uid: i.uid, gid: i.gid, size: i.size, nlink: i.nlink, readcount: i.readcount,
    writecount: i.writecount, refs: i.refs, map: i.map.slice(), leases: i.leases.map(cloneLease), path: i.path,
  };
}
const cloneMount = (m: Mount): Mount => ({
  path: m.path, type: m.type, dax: m.dax, bsize: m.bsize, nblocks: m.nblocks, owner: m.owner.slice(), data: m.data.slice(), unwritten: m.unwritten.slice(),
  pins: m.pins.slice(), refcount: m.refcount.slice(), holes: m.holes, hint: m.hint, root: m.root, dev: m.dev,
});

export function cloneState(s: KState): KState {
  return {
    pol: s.pol, now: s.now, leaseBreakTime: s.leaseBreakTime, leasesEnable: s.leasesEnable,
    procs: s.procs.map(cloneProc),
    fdts: s.fdts.map(cloneFdt),
    files: s.files.map(cloneFile),
    inodes: s.inodes.map(cloneInode),
    mounts: s.mounts.map(cloneMount),
    dents: { ...s.dents },
    nextLeaseId: s.nextLeaseId, nextSeq: s.nextSeq,
    pages: s.pages.map((p) => (p === null ? null : { id: p.id, ino: p.ino, index: p.index, data: p.data, pins: p.pins })),
    pinsets: s.pinsets.map((m) => (m === null ? null : { ...m, pinned: m.pinned.slice(), files: m.files.slice() })),
    pds: s.pds.map((d) => (d === null ? null : { id: d.id, ctx: d.ctx })),
    pinAcquired: s.pinAcquired, pinReleased: s.pinReleased,
    delayedFput: s.delayedFput.slice(),
  };
}

/** A 64-bit hash (16 hex digits) of the state's canonical values (and of `extra`, the machine's own). */
/** The machine's own values, computed after the walk (they may use its numbering: canonicalMr, canonicalPd). */
export type Extra = readonly number[] | (() => readonly number[]);

export function hashState(s: KState, extra?: Extra): string {
  hashLanes(s, extra, LANES);
  const a = LANES[0]!, b = LANES[1]!;
  const H = HEX;
  return String.fromCharCode(
    H[a >>> 28]!, H[(a >>> 24) & 15]!, H[(a >>> 20) & 15]!, H[(a >>> 16) & 15]!,
    H[(a >>> 12) & 15]!, H[(a >>> 8) & 15]!, H[(a >>> 4) & 15]!, H[a & 15]!,
    H[b >>> 28]!, H[(b >>> 24) & 15]!, H[(b >>> 20) & 15]!, H[(b >>> 16) & 15]!,
    H[(b >>> 12) & 15]!, H[(b >>> 8) & 15]!, H[(b >>> 4) & 15]!, H[b & 15]!);
}

const LANES = new Uint32Array(2);

/** The same 64 bits as two unsigned 32-bit halves in `out`, with no string made (the explorer's visited set). */
export function hashLanes(s: KState, extra: Extra | undefined, out: Uint32Array) {
  EXACT = false;
  walk(s);
  if (extra !== undefined) appendExtra(extra);
  digest(out);
}

function appendExtra(e: Extra) {
  const extra = typeof e === "function" ? e() : e;
  room(extra.length + 1);
  BUF[LEN++] = -5;
  for (let i = 0; i < extra.length; i++) BUF[LEN++] = extra[i]!;
}

/**
 * The exact canonical key: the same values, strings by an interned number (no collisions),
 * packed as a string. Equal keys, equal machines: what the explorer stores with --exact.
 */
export function stateKey(s: KState, extra?: Extra): string {
  EXACT = true;
  walk(s);
  if (extra !== undefined) appendExtra(extra);
  return pack();
}

/** The canonical encoding, readable: the same values with their strings, as JSON. Equal states, equal strings. */
export function encodeState(s: KState): string {
  EXACT = true;
  IS_STR.fill(0);
  walk(s);
  const out: (number | string)[] = new Array(LEN);
  for (let i = 0; i < LEN; i++) out[i] = IS_STR[i] === 1 ? INTERNED[BUF[i]!]! : Object.is(BUF[i], -0) ? 0 : BUF[i]!;
  return JSON.stringify(out);
}

// ---- the walk ----

/** A deadline relative to now: -2 for none (0), -1 already past, else how far ahead. */
function relTime(s: KState, t: number): number {
  return t === 0 ? -2 : t < s.now ? -1 : t - s.now;
}

/** A sleep's timeout relative to now: -2 for none, -1 due (it fires at the next tick, now unchanged). */
function relWake(s: KState, t: number): number {
  return t < 0 ? -2 : t <= s.now ? -1 : t - s.now;
}

// Lease ids and sequence numbers become ranks: scratch arrays reused by every walk.
let LEASE_IDS: number[] = [];
let WAIT_SEQS: number[] = [];

function rankOf(xs: number[], x: number): number {
  for (let i = 0; i < xs.length; i++) if (xs[i] === x) return i;
  return -1;
}

function prepareRanks(s: KState) {
  LEASE_IDS.length = 0;
  WAIT_SEQS.length = 0;
  for (let i = 0; i < s.inodes.length; i++) {
    const inode = s.inodes[i];
    if (inode === null || inode === undefined) continue;
    for (let k = 0; k < inode.leases.length; k++) LEASE_IDS.push(inode.leases[k]!.id);
  }
  for (let i = 0; i < s.procs.length; i++) { const w = s.procs[i]!.wait; if (w !== null && w.blocker !== NO_BLOCKER) WAIT_SEQS.push(w.seq); }
  if (WAIT_SEQS.length > 1) WAIT_SEQS.sort((a, b) => a - b);
}

// ---- canonical numbering of files, memory regions, protection domains and pinned pages ----

/** Old id -> canonical id (-1: not live), and the live ids in canonical order. */
let TMAP: Int32Array = new Int32Array(16);
const TORDER: number[] = [];
let FMAP: Int32Array = new Int32Array(64), PSMAP: Int32Array = new Int32Array(64), PDMAP: Int32Array = new Int32Array(64), PGMAP: Int32Array = new Int32Array(64);
const FORDER: number[] = [], PSORDER: number[] = [], PDORDER: number[] = [], PGORDER: number[] = [];

function sized(a: Int32Array, n: number): Int32Array {
  const b = a.length >= n ? a : new Int32Array(Math.max(n, a.length * 2));
  b.fill(-1, 0, n);
  return b;
}

function seeFile(s: KState, id: number) {
  if (id >= 0 && id < s.files.length && FMAP[id]! < 0 && s.files[id] !== null) { FMAP[id] = FORDER.length; FORDER.push(id); }
}

/**
 * The canonical order: descriptor tables by their first user in pid order; files by what holds
 * them (processes in pid order: descriptors, mappings, sleeps; then leases, memory regions,
 * domains; then, breadth first, the files in flight in the sockets seen so far).
 */
function renumber(s: KState) {
  TMAP = sized(TMAP, s.fdts.length); TORDER.length = 0;
  for (let i = 0; i < s.procs.length; i++) {
    const t = s.procs[i]!.fdt;
    if (t >= 0 && TMAP[t]! < 0) { TMAP[t] = TORDER.length; TORDER.push(t); }
  }
  FMAP = sized(FMAP, s.files.length); FORDER.length = 0;
  PSMAP = sized(PSMAP, s.pinsets.length); PSORDER.length = 0;
  PDMAP = sized(PDMAP, s.pds.length); PDORDER.length = 0;
  PGMAP = sized(PGMAP, s.pages.length); PGORDER.length = 0;
  for (let i = 0; i < s.procs.length; i++) {
    const p = s.procs[i]!;
    const fds = p.fdt >= 0 ? s.fdts[p.fdt]!.fds : NONE;
    for (let k = 0; k < fds.length; k++) seeFile(s, fds[k]!);
    for (let k = 0; k < p.vmas.length; k++) seeFile(s, p.vmas[k]!.file);
    if (p.wait !== null) seeFile(s, p.wait.file);
  }
  for (let i = 0; i < s.inodes.length; i++) {
    const inode = s.inodes[i];
    if (inode !== null && inode !== undefined) for (let k = 0; k < inode.leases.length; k++) seeFile(s, inode.leases[k]!.file);
  }
  for (let i = 0; i < s.pinsets.length; i++) { const ps = s.pinsets[i]; if (ps !== null && ps !== undefined) { seeFile(s, ps.ctx); seeFile(s, ps.hold); } }
  for (let i = 0; i < s.pds.length; i++) { const d = s.pds[i]; if (d !== null && d !== undefined) seeFile(s, d.ctx); }
  for (let k = 0; k < FORDER.length; k++) {
    const f = s.files[FORDER[k]!]!;
    if (f.sock === null) continue;
    seeFile(s, f.sock.peer);
    for (const m of f.sock.queue) for (const id of m.files) seeFile(s, id);
  }
  for (let i = 0; i < s.files.length; i++) seeFile(s, i);
  // Memory regions and buffers: by owner, context, range; ties keep their order.
  for (let i = 0; i < s.pinsets.length; i++) if (s.pinsets[i] !== null && s.pinsets[i] !== undefined) PSORDER.push(i);
  if (PSORDER.length > 1) PSORDER.sort((a, b) => {
    const x = s.pinsets[a]!, y = s.pinsets[b]!;
    return x.pid - y.pid || FMAP[x.ctx]! - FMAP[y.ctx]! || x.addr - y.addr || x.len - y.len || x.access - y.access || (x.kind < y.kind ? -1 : x.kind > y.kind ? 1 : 0) || a - b;
  });
  for (let k = 0; k < PSORDER.length; k++) PSMAP[PSORDER[k]!] = k;
  for (let i = 0; i < s.pds.length; i++) if (s.pds[i] !== null && s.pds[i] !== undefined) PDORDER.push(i);
  if (PDORDER.length > 1) PDORDER.sort((a, b) => FMAP[s.pds[a]!.ctx]! - FMAP[s.pds[b]!.ctx]! || a - b);
  for (let k = 0; k < PDORDER.length; k++) PDMAP[PDORDER[k]!] = k;
  for (let k = 0; k < PSORDER.length; k++) {
    const q = s.pinsets[PSORDER[k]!]!.pinned;
    for (let i = 0; i < q.length; i += 4) {
      const g = q[i + 2]!;
      if (q[i] === PIN_PAGE && g >= 0 && g < s.pages.length && PGMAP[g]! < 0) { PGMAP[g] = PGORDER.length; PGORDER.push(g); }
    }
  }
  for (let i = 0; i < s.pages.length; i++) if (s.pages[i] !== null && PGMAP[i]! < 0) { PGMAP[i] = PGORDER.length; PGORDER.push(i); }
}

const fileId = (id: number): number => (id >= 0 ? FMAP[id]! : id);
const NONE: readonly number[] = [];

/** A memory region's handle as the canonical numbering sees it: its rank + 1, or 0 for NULL or a stale handle. */
export function canonicalMr(id: number): number {
  return id > 0 && id < PSMAP.length && PSMAP[id]! >= 0 ? PSMAP[id]! + 1 : 0;
}

/** The same for a protection domain. */
export function canonicalPd(id: number): number {
  return id > 0 && id < PDMAP.length && PDMAP[id]! >= 0 ? PDMAP[id]! + 1 : 0;
}

const NO_BLOCKER = -0x7fffffff;

function walk(s: KState) {
  LEN = 0;
  prepareRanks(s);
  renumber(s);
  room(4);
  BUF[LEN] = S(s.pol.spec); IS_STR[LEN++] = STR_FLAG;
  BUF[LEN++] = s.leaseBreakTime; BUF[LEN++] = s.leasesEnable;
  BUF[LEN++] = s.delayedFput.length;
  for (let i = 0; i < s.procs.length; i++) walkProc(s, s.procs[i]!);
  room(1); BUF[LEN++] = TORDER.length;
  for (let k = 0; k < TORDER.length; k++) {
    const t = s.fdts[TORDER[k]!]!;
    room(t.fds.length * 2 + 2);
    BUF[LEN++] = t.users; BUF[LEN++] = t.fds.length;
    for (let i = 0; i < t.fds.length; i++) { BUF[LEN++] = fileId(t.fds[i]!); BUF[LEN++] = t.cloexec[i]!; }
  }
  room(2); BUF[LEN++] = -2; BUF[LEN++] = FORDER.length;
  for (let k = 0; k < FORDER.length; k++) walkFile(s.files[FORDER[k]!]!, k);
  room(1); BUF[LEN++] = -3;
  for (let i = 0; i < s.inodes.length; i++) walkInode(s, s.inodes[i]!);
  for (let i = 0; i < s.mounts.length; i++) walkMount(s.mounts[i]!);
  walkDents(s.dents);
  room(1); BUF[LEN++] = PGORDER.length;
  for (let k = 0; k < PGORDER.length; k++) {
    const g = s.pages[PGORDER[k]!]!;
    room(5);
    BUF[LEN++] = k; BUF[LEN++] = g.ino; BUF[LEN++] = g.index; str(g.data); BUF[LEN++] = g.pins;
  }
  room(2); BUF[LEN++] = -4; BUF[LEN++] = PSORDER.length;
  for (let k = 0; k < PSORDER.length; k++) {
    const m = s.pinsets[PSORDER[k]!]!;
    room(16);
    BUF[LEN++] = k; str(m.kind); BUF[LEN++] = fileId(m.ctx); BUF[LEN++] = m.pd > 0 ? canonicalPd(m.pd) : m.pd; BUF[LEN++] = m.pid; BUF[LEN++] = m.addr;
    BUF[LEN++] = m.len; BUF[LEN++] = m.access; BUF[LEN++] = m.odp ? 1 : 0; BUF[LEN++] = m.dead ? 1 : 0;
    BUF[LEN++] = rankOf(LEASE_IDS, m.lease); BUF[LEN++] = fileId(m.hold);
    const q = m.pinned;
    room(q.length + 1);
    BUF[LEN++] = q.length;
    for (let i = 0; i < q.length; i += 4) {
      BUF[LEN++] = q[i]!; BUF[LEN++] = q[i + 1]!; BUF[LEN++] = q[i] === PIN_PAGE ? PGMAP[q[i + 2]!]! : q[i + 2]!; BUF[LEN++] = q[i + 3]!;
    }
    room(m.files.length + 1);
    BUF[LEN++] = m.files.length;
    for (let k2 = 0; k2 < m.files.length; k2++) str(m.files[k2]!);
  }
  room(PDORDER.length + 1);
  BUF[LEN++] = PDORDER.length;
  for (let k = 0; k < PDORDER.length; k++) BUF[LEN++] = fileId(s.pds[PDORDER[k]!]!.ctx);
}

function walkProc(s: KState, p: Proc) {
  room(48);
  BUF[LEN++] = p.pid; str(p.name); BUF[LEN++] = p.ppid; BUF[LEN++] = p.uid; BUF[LEN++] = p.gid; BUF[LEN++] = p.caps;
  BUF[LEN++] = p.sigDefault ? 1 : 0; BUF[LEN++] = p.state; BUF[LEN++] = p.code; BUF[LEN++] = p.mmapBase; BUF[LEN++] = p.sigpend;
  BUF[LEN++] = p.fatal;
  const w = p.wait;
  if (w === null) BUF[LEN++] = -1;
  else {
    str(w.kind); BUF[LEN++] = w.ino; BUF[LEN++] = w.wantWrite ? 1 : 0; BUF[LEN++] = w.layout ? 1 : 0; BUF[LEN++] = w.passPid;
    BUF[LEN++] = w.skipPinned ? 1 : 0; BUF[LEN++] = w.start; BUF[LEN++] = w.end; BUF[LEN++] = rankOf(LEASE_IDS, w.lease);
    // A breaker queued under a lease (its rank), under another breaker (-1 - pid), or under none.
    BUF[LEN++] = w.blocker >= 0 ? rankOf(LEASE_IDS, w.blocker) : w.blocker;
    BUF[LEN++] = w.blocker === NO_BLOCKER ? -1 : rankOf(WAIT_SEQS, w.seq);
    BUF[LEN++] = relWake(s, w.wake); BUF[LEN++] = w.woken ? 1 : 0; BUF[LEN++] = w.timedOut ? 1 : 0; str(w.op); BUF[LEN++] = fileId(w.file);
    BUF[LEN++] = w.fd; BUF[LEN++] = w.len; str(w.call); BUF[LEN++] = w.args.length;
    room(w.args.length * 2);
    for (let i = 0; i < w.args.length; i++) {
      const a = w.args[i]!;
      if (typeof a === "string") { BUF[LEN++] = 1; str(a); } else { BUF[LEN++] = 0; BUF[LEN++] = a; }
    }
  }
  room(p.vmas.length * 6 + p.sigq.length * 4 + 3);
  BUF[LEN++] = p.fdt >= 0 ? TMAP[p.fdt]! : -1;
  BUF[LEN++] = p.vmas.length;
  for (let i = 0; i < p.vmas.length; i++) {
    const v = p.vmas[i]!;
    BUF[LEN++] = v.start; BUF[LEN++] = v.end; BUF[LEN++] = fileId(v.file); BUF[LEN++] = v.pgoff; BUF[LEN++] = v.prot; BUF[LEN++] = v.flags;
  }
  BUF[LEN++] = p.sigq.length;
  for (let i = 0; i < p.sigq.length; i++) {
    const x = p.sigq[i]!;
    BUF[LEN++] = x.signo; BUF[LEN++] = x.code; BUF[LEN++] = x.fd; BUF[LEN++] = x.band;
  }
}

function walkFile(f: OpenFile, id: number) {
  room(15);
  BUF[LEN++] = id; BUF[LEN++] = f.kind; BUF[LEN++] = f.ref; BUF[LEN++] = f.ino; BUF[LEN++] = f.flags; BUF[LEN++] = f.fmode; BUF[LEN++] = f.pos;
  BUF[LEN++] = f.owner; BUF[LEN++] = f.ownerUid; BUF[LEN++] = f.signum; BUF[LEN++] = f.revoked ? 1 : 0; BUF[LEN++] = f.asyncEvent; BUF[LEN++] = f.sqEntries;
  BUF[LEN++] = f.obj;
  const k = f.sock;
  if (k === null) { BUF[LEN++] = -1; return; }
  room(5);
  BUF[LEN++] = k.type; BUF[LEN++] = fileId(k.peer); BUF[LEN++] = k.shut; BUF[LEN++] = k.err; BUF[LEN++] = k.queue.length;
  for (const m of k.queue) {
    room(m.files.length + 3);
    str(m.data); BUF[LEN++] = m.pid; BUF[LEN++] = m.files.length;
    for (let i = 0; i < m.files.length; i++) BUF[LEN++] = fileId(m.files[i]!);
  }
}

function walkInode(s: KState, i: Inode | null) {
  if (i === null) { room(1); BUF[LEN++] = -1; return; }
  room(14 + i.leases.length * 11);
  BUF[LEN++] = i.ino; BUF[LEN++] = i.mnt; BUF[LEN++] = i.mode; BUF[LEN++] = i.uid; BUF[LEN++] = i.gid; BUF[LEN++] = i.size; BUF[LEN++] = i.nlink;
  BUF[LEN++] = i.readcount; BUF[LEN++] = i.writecount; BUF[LEN++] = i.refs; str(i.path); BUF[LEN++] = i.leases.length;
  for (let k = 0; k < i.leases.length; k++) {
    const l = i.leases[k]!;
    BUF[LEN++] = rankOf(LEASE_IDS, l.id); BUF[LEN++] = fileId(l.file); BUF[LEN++] = l.type; BUF[LEN++] = l.flags;
    BUF[LEN++] = relTime(s, l.breakTime); BUF[LEN++] = relTime(s, l.downgradeTime);
    BUF[LEN++] = l.pid; BUF[LEN++] = l.faFd; BUF[LEN++] = l.kind; BUF[LEN++] = l.pins;
  }
  nums(i.map);
}

function walkMount(m: Mount) {
  room(12);
  str(m.path); str(m.type); str(m.dax); BUF[LEN++] = m.bsize; BUF[LEN++] = m.nblocks;
  BUF[LEN++] = m.holes; BUF[LEN++] = m.hint; BUF[LEN++] = m.root; BUF[LEN++] = m.dev;
  nums(m.owner);
  nums(m.unwritten);
  nums(m.pins);
  nums(m.refcount);
  room(m.data.length + 1);
  BUF[LEN++] = m.data.length;
  for (let i = 0; i < m.data.length; i++) str(m.data[i]!);
}

/** The namespace, in name order (object keys keep the order names were made in). */
function walkDents(dents: Record<string, number>) {
  const keys = Object.keys(dents);
  if (keys.length > 1) keys.sort();
  room(keys.length * 2 + 1);
  BUF[LEN++] = keys.length;
  for (const k of keys) { str(k); BUF[LEN++] = dents[k]!; }
}

// ---- the buffer ----

// The values go into a Float64Array; the digest reads the same bytes as int32 pairs, so no
// value is converted from double to integer on the way (a slow path for values past 2^31).
let BUF = new Float64Array(1 << 12);
let WORDS = new Int32Array(BUF.buffer);
/** Marks, for the encoding only (it clears them first), the values that stand for strings. */
let IS_STR = new Uint8Array(1 << 12);
let LEN = 0;
/** Strings by interned number (exact) or by their cached hash. */
let EXACT = false;
const STR_FLAG = 1;

/** Makes room for k more values. */
function room(k: number) {
  if (LEN + k <= BUF.length) return;
  let size = BUF.length * 2;
  while (size < LEN + k) size *= 2;
  const bigger = new Float64Array(size);
  bigger.set(BUF.subarray(0, LEN));
  BUF = bigger;
  WORDS = new Int32Array(bigger.buffer);
  const flags = new Uint8Array(size);
  flags.set(IS_STR.subarray(0, LEN));
  IS_STR = flags;
}

function str(x: string) {
  IS_STR[LEN] = STR_FLAG;
  BUF[LEN++] = S(x);
}

function S(x: string): number {
  return EXACT ? intern(x) : strHash(x);
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
function digest(out: Uint32Array) {
  let a = 0x811c9dc5 | 0, b = 0x2545f491 | 0, c = 0x3c6ef372 | 0, d = 0x1b873593 | 0;
  const W = WORDS, n = LEN * 2;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    // -0 (high word 0x80000000, low 0) is hashed as 0, as the encoding writes it.
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
  out[0] = a;
  out[1] = b;
}

/** The values as a string of 16-bit units: each value zigzag-encoded in 15-bit groups. */
function pack(): string {
  const units: number[] = [];
  for (let i = 0; i < LEN; i++) {
    const v = BUF[i]!;
    // Integers up to 2^53: zigzag without 32-bit operators.
    let z = v < 0 ? -v * 2 - 1 : v * 2;
    while (z >= 0x8000) { units.push(0x8000 | (z % 0x8000)); z = Math.floor(z / 0x8000); }
    units.push(z);
  }
  let out = "";
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode.apply(null, units.slice(i, i + 4096));
  return out;
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

/** Strings by number, for exact keys: a string keeps its number for the life of the process. */
const INTERN = new Map<string, number>();
const INTERNED: string[] = [];

function intern(x: string): number {
  let v = INTERN.get(x);
  if (v === undefined) {
    v = INTERNED.length;
    INTERNED.push(x);
    INTERN.set(x, v);
  }
  return v;
}
