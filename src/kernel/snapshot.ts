// Copying, encoding and hashing the whole state, for the explorer: plain data in,
// plain data out, in one canonical order (object keys that depend on history are sorted).
import type { KState, Proc, OpenFile, Inode, Mount, Lease, Wait, Vma } from "./state.js";
import type { SigInfo } from "../scenario/report.js";

const cloneWait = (w: Wait): Wait => ({ ...w });
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
const cloneMount = (m: Mount): Mount => ({ ...m, owner: m.owner.slice(), data: m.data.slice() });

export function cloneState(s: KState): KState {
  return {
    ...s,
    procs: s.procs.map(cloneProc),
    files: s.files.map(cloneFile),
    inodes: s.inodes.map(cloneInode),
    mounts: s.mounts.map(cloneMount),
    dents: { ...s.dents },
  };
}

/** The canonical encoding: JSON with the namespace's names sorted. Equal states, equal strings. */
export function encodeState(s: KState): string {
  const dents: Record<string, number> = {};
  for (const k of Object.keys(s.dents).sort()) dents[k] = s.dents[k]!;
  return JSON.stringify({ ...s, dents });
}

/** A 64-bit hash (two 32-bit FNV-1a lanes, hex) of the canonical encoding, computed without building it. */
export function hashState(s: KState): string {
  const h = new Hasher();
  h.num(s.now); h.num(s.leaseBreakTime); h.num(s.leasesEnable); h.num(s.nextLeaseId); h.num(s.nextSeq);
  h.num(s.procs.length);
  for (const p of s.procs) {
    h.num(p.pid); h.str(p.name); h.num(p.ppid); h.num(p.uid); h.num(p.gid); h.num(p.caps); h.num(p.sigDefault ? 1 : 0);
    h.num(p.state); h.num(p.code); h.nums(p.fds); h.num(p.mmapBase); h.num(p.sigpend); h.num(p.fatal);
    h.str(p.call); h.num(p.ret); h.num(p.done ? 1 : 0);
    h.num(p.vmas.length);
    for (const v of p.vmas) { h.num(v.start); h.num(v.end); h.num(v.file); h.num(v.pgoff); h.num(v.prot); h.num(v.flags); }
    h.num(p.sigs.length);
    for (const x of p.sigs) { h.num(x.signo); h.num(x.code); h.num(x.fd); h.num(x.band); }
    const w = p.wait;
    if (w === null) h.num(-1);
    else {
      h.num(w.ino); h.num(w.wantWrite ? 1 : 0); h.num(w.blocker); h.num(w.seq); h.num(w.wake); h.num(w.woken ? 1 : 0);
      h.num(w.timedOut ? 1 : 0); h.str(w.op); h.num(w.file); h.num(w.fd); h.num(w.len);
    }
  }
  h.num(s.files.length);
  for (const f of s.files) {
    if (f === null) { h.num(-1); continue; }
    h.num(f.id); h.num(f.ref); h.num(f.ino); h.num(f.flags); h.num(f.fmode); h.num(f.pos); h.num(f.owner); h.num(f.ownerUid); h.num(f.signum);
  }
  h.num(s.inodes.length);
  for (const i of s.inodes) {
    if (i === null) { h.num(-1); continue; }
    h.num(i.ino); h.num(i.mnt); h.num(i.mode); h.num(i.uid); h.num(i.gid); h.num(i.size); h.num(i.nlink);
    h.num(i.readcount); h.num(i.writecount); h.num(i.refs); h.nums(i.map); h.str(i.path);
    h.num(i.leases.length);
    for (const l of i.leases) {
      h.num(l.id); h.num(l.file); h.num(l.type); h.num(l.flags); h.num(l.breakTime); h.num(l.downgradeTime); h.num(l.pid); h.num(l.faFd); h.num(l.seq);
    }
  }
  for (const m of s.mounts) {
    h.str(m.path); h.str(m.type); h.str(m.dax); h.num(m.bsize); h.num(m.nblocks); h.nums(m.owner); h.num(m.root); h.num(m.dev);
    h.num(m.data.length);
    for (const d of m.data) h.str(d);
  }
  const keys = Object.keys(s.dents).sort();
  h.num(keys.length);
  for (const k of keys) { h.str(k); h.num(s.dents[k]!); }
  return h.hex();
}

class Hasher {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  num(n: number) {
    // Numbers in the state are integers well inside 2^53: hash the two 32-bit halves.
    const lo = n | 0, hi = Math.floor(n / 4294967296) | 0;
    this.mix(lo); this.mix(hi);
  }
  nums(xs: number[]) {
    this.mix(xs.length);
    for (let i = 0; i < xs.length; i++) this.num(xs[i]!);
  }
  str(x: string) {
    this.mix(x.length);
    for (let i = 0; i < x.length; i++) this.mix(x.charCodeAt(i));
  }
  private mix(v: number) {
    this.a = Math.imul(this.a ^ v, 0x01000193);
    this.b = Math.imul(this.b ^ (v + 0x9e3779b9), 0x85ebca6b);
    this.b ^= this.b >>> 13;
  }
  hex(): string {
    return (this.a >>> 0).toString(16).padStart(8, "0") + (this.b >>> 0).toString(16).padStart(8, "0");
  }
}
