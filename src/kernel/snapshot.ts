// Copying, encoding and hashing the whole state, for the explorer: plain data in,
// plain data out, in one canonical order (object keys that depend on history are sorted).
import type { KState, Proc, OpenFile, Inode, Mount, Lease, Wait, Vma } from "./state.js";
import type { SigInfo } from "../scenario/report.js";

const cloneWait = (w: Wait): Wait => ({ ...w, args: w.args.slice() });
const cloneVma = (v: Vma): Vma => ({ ...v });
const cloneSig = (x: SigInfo): SigInfo => ({ ...x });
const cloneLease = (l: Lease): Lease => ({ ...l });

function cloneProc(p: Proc): Proc {
  return { ...p, fds: p.fds.slice(), vmas: p.vmas.map(cloneVma), sigs: p.sigs.map(cloneSig), wait: p.wait === null ? null : cloneWait(p.wait) };
}
const cloneFile = (f: OpenFile | null): OpenFile | null => (f === null ? null : { ...f });
function cloneInode(i: Inode | null): Inode | null {
  return i === null ? null : { ...i, map: i.map.slice(), leases: i.leases.map(cloneLease) };
}
const cloneMount = (m: Mount): Mount => ({ ...m, owner: m.owner.slice(), data: m.data.slice(), pins: m.pins.slice() });

export function cloneState(s: KState): KState {
  return {
    ...s,
    procs: s.procs.map(cloneProc),
    files: s.files.map(cloneFile),
    inodes: s.inodes.map(cloneInode),
    mounts: s.mounts.map(cloneMount),
    dents: { ...s.dents },
    pages: s.pages.map((p) => (p === null ? null : { ...p })),
    pinsets: s.pinsets.map((m) => (m === null ? null : { ...m, pinned: m.pinned.slice(), files: m.files.slice() })),
    pds: s.pds.map((d) => (d === null ? null : { ...d })),
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
 * no encoding is built. Strings are hashed once and remembered; the namespace is folded
 * in order-independently, so it needs no sort.
 */
export function hashState(s: KState): string {
  LEN = 0;
  num(s.now); num(s.leaseBreakTime); num(s.leasesEnable); num(s.nextLeaseId); num(s.nextSeq);
  const procs = s.procs, files = s.files, inodes = s.inodes, mounts = s.mounts;
  mix(procs.length);
  for (let i = 0; i < procs.length; i++) hashProc(procs[i]!);
  mix(files.length);
  for (let i = 0; i < files.length; i++) hashFile(files[i]!);
  mix(inodes.length);
  for (let i = 0; i < inodes.length; i++) hashInode(inodes[i]!);
  for (let i = 0; i < mounts.length; i++) hashMount(mounts[i]!);
  hashDents(s.dents);
  str(s.policy); num(s.pinAcquired); num(s.pinReleased);
  mix(s.events.length);
  for (let i = 0; i < s.events.length; i++) { str(s.events[i]!.property); str(s.events[i]!.detail); }
  const pages = s.pages, mrs = s.pinsets, pds = s.pds;
  mix(pages.length);
  for (let i = 0; i < pages.length; i++) {
    const g = pages[i]!;
    if (g === null) mix(-1);
    else { num(g.id); num(g.ino); num(g.index); str(g.data); num(g.pins); }
  }
  mix(mrs.length);
  for (let i = 0; i < mrs.length; i++) {
    const m = mrs[i]!;
    if (m === null) { mix(-1); continue; }
    num(m.id); str(m.kind); num(m.ctx); num(m.pd); num(m.pid); num(m.addr); num(m.len); num(m.access); mix(m.odp ? 1 : 0);
    nums(m.pinned); mix(m.files.length); for (let k = 0; k < m.files.length; k++) str(m.files[k]!);
    mix(m.dead ? 1 : 0); num(m.lease); num(m.hold);
  }
  mix(pds.length);
  for (let i = 0; i < pds.length; i++) { const d = pds[i]!; if (d === null) mix(-1); else { num(d.id); num(d.ctx); } }
  return digest();
}

function hashProc(p: Proc) {
  num(p.pid); str(p.name); num(p.ppid); num(p.uid); num(p.gid); num(p.caps); mix(p.sigDefault ? 1 : 0);
  mix(p.state); num(p.code); nums(p.fds); num(p.mmapBase); num(p.sigpend); num(p.fatal);
  str(p.call); num(p.ret); mix(p.done ? 1 : 0);
  const vmas = p.vmas;
  mix(vmas.length);
  for (let i = 0; i < vmas.length; i++) {
    const v = vmas[i]!;
    num(v.start); num(v.end); num(v.file); num(v.pgoff); num(v.prot); num(v.flags);
  }
  const sigs = p.sigs;
  mix(sigs.length);
  for (let i = 0; i < sigs.length; i++) {
    const x = sigs[i]!;
    num(x.signo); num(x.code); num(x.fd); num(x.band);
  }
  const w = p.wait;
  if (w === null) mix(-1);
  else {
    str(w.kind); num(w.ino); mix(w.wantWrite ? 1 : 0); mix(w.layout ? 1 : 0); num(w.passPid); mix(w.skipPinned ? 1 : 0); num(w.start); num(w.end); num(w.lease);
    num(w.blocker); num(w.seq); num(w.wake); mix(w.woken ? 1 : 0);
    mix(w.timedOut ? 1 : 0); str(w.op); num(w.file); num(w.fd); num(w.len); str(w.call);
    mix(w.args.length);
    for (let i = 0; i < w.args.length; i++) { const a = w.args[i]!; if (typeof a === "string") str(a); else num(a); }
  }
}

function hashFile(f: OpenFile | null) {
  if (f === null) { mix(-1); return; }
  num(f.id); num(f.kind); num(f.ref); num(f.ino); num(f.flags); num(f.fmode); num(f.pos); num(f.owner); num(f.ownerUid); num(f.signum); mix(f.revoked ? 1 : 0);
}

function hashInode(i: Inode | null) {
  if (i === null) { mix(-1); return; }
  num(i.ino); num(i.mnt); num(i.mode); num(i.uid); num(i.gid); num(i.size); num(i.nlink);
  num(i.readcount); num(i.writecount); num(i.refs); nums(i.map); str(i.path);
  const leases = i.leases;
  mix(leases.length);
  for (let k = 0; k < leases.length; k++) {
    const l = leases[k]!;
    num(l.id); num(l.file); num(l.type); num(l.flags); num(l.breakTime); num(l.downgradeTime); num(l.pid); num(l.faFd); num(l.seq);
    num(l.kind); num(l.pins);
  }
}

function hashMount(m: Mount) {
  str(m.path); str(m.type); str(m.dax); num(m.bsize); num(m.nblocks); nums(m.owner); nums(m.pins); num(m.holes); num(m.hint); num(m.root); num(m.dev);
  const data = m.data;
  mix(data.length);
  for (let i = 0; i < data.length; i++) str(data[i]!);
}

/** The namespace: a sum of per-name hashes does not depend on the order names were made. */
function hashDents(dents: Record<string, number>) {
  let d1 = 0, d2 = 0;
  for (const k in dents) {
    const e = strHash(k) ^ Math.imul(dents[k]! + 1, 0x9e3779b1);
    d1 = (d1 + e) | 0;
    d2 = (d2 + Math.imul(e, 0x85ebca6b)) | 0;
  }
  mix(d1); mix(d2);
}

/**
 * Field values are first laid out in a flat buffer, then mixed in one tight loop
 * with the lanes in local variables: far cheaper than mixing field by field.
 */
let BUF = new Float64Array(1 << 12);
let LEN = 0;

function mix(v: number) {
  if (LEN === BUF.length) {
    const bigger = new Float64Array(BUF.length * 2);
    bigger.set(BUF);
    BUF = bigger;
  }
  BUF[LEN++] = v;
}

const num = mix;

function nums(xs: number[]) {
  mix(xs.length);
  for (let i = 0; i < xs.length; i++) mix(xs[i]!);
}

/** Two 32-bit lanes over the buffer; integers up to 2^53 contribute both halves. */
function digest(): string {
  let a = 0x811c9dc5, b = 0x2545f491;
  for (let i = 0; i < LEN; i++) {
    const v = BUF[i]!;
    const lo = v | 0;
    const hi = (v - lo) / 4294967296 | 0;
    a = Math.imul(a ^ lo, 0x01000193);
    b = Math.imul(b ^ lo ^ Math.imul(hi, 0x27d4eb2d), 0x5bd1e995);
    b ^= b >>> 15;
    a ^= hi;
  }
  return (a >>> 0).toString(16).padStart(8, "0") + (b >>> 0).toString(16).padStart(8, "0");
}

const STR_CACHE = new Map<string, number>();

function strHash(x: string): number {
  let v = STR_CACHE.get(x);
  if (v === undefined) {
    v = 0x811c9dc5 ^ x.length;
    for (let i = 0; i < x.length; i++) v = Math.imul(v ^ x.charCodeAt(i), 0x01000193);
    if (STR_CACHE.size > 100_000) STR_CACHE.clear();
    STR_CACHE.set(x, v);
  }
  return v;
}

function str(x: string) {
  mix(strHash(x));
}
