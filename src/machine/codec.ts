// A machine state as bytes, and back: how the explorer keeps the states it has still to
// expand (SPIN's state vector). One byte array per state instead of a tree of objects: the
// garbage collector does not walk it (it took half the search's time), and it is about a
// quarter of the size. Numbers are zigzag varints (integers up to 2^53); each state carries
// its strings (latin1, each written once, then by number), so any thread can read it.
import type { KState, Proc, OpenFile, Inode, Mount, Lease, Wait, Vma, PinSet, Page, FdTable, Sock } from "../kernel/include/state.js";
import type { Policy } from "../policy/types.js";
import type { MState } from "./machine.js";
import { assert } from "../kernel/include/assert.js";

/** One buffer for every encoding (the result is a copy of what was written). */
let OUT = new Uint8Array(1 << 14);

class Out {
  buf = OUT;
  n = 0;
  private strings = new Map<string, number>();
  num(v: number) {
    if (this.n + 10 > this.buf.length) { const b = new Uint8Array(this.buf.length * 2); b.set(this.buf); this.buf = OUT = b; }
    if (v >= -0x20000000 && v < 0x20000000 && (v | 0) === v) {
      // Small integers: zigzag and 7-bit groups with 32-bit operators.
      let z = ((v << 1) ^ (v >> 31)) >>> 0;
      while (z >= 0x80) { this.buf[this.n++] = (z & 0x7f) | 0x80; z >>>= 7; }
      this.buf[this.n++] = z;
      return;
    }
    assert(Number.isSafeInteger(v), `codec: ${v} is not an integer`);
    let z = v < 0 ? -v * 2 - 1 : v * 2;
    while (z >= 0x80) { this.buf[this.n++] = (z % 0x80) | 0x80; z = Math.floor(z / 0x80); }
    this.buf[this.n++] = z;
  }
  bool(b: boolean) { this.num(b ? 1 : 0); }
  /** A string seen before in this state: its number, doubled; a new one: its length, doubled plus one, then its bytes. */
  str(s: string) {
    const id = this.strings.get(s);
    if (id !== undefined) { this.num(id * 2); return; }
    this.strings.set(s, this.strings.size);
    this.num(s.length * 2 + 1);
    if (this.n + s.length > this.buf.length) { const b = new Uint8Array(Math.max(this.buf.length * 2, this.n + s.length + 16)); b.set(this.buf); this.buf = OUT = b; }
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      assert(c <= 0xff, "codec: strings are latin1");
      this.buf[this.n++] = c;
    }
  }
  nums(xs: readonly number[]) { this.num(xs.length); for (let i = 0; i < xs.length; i++) this.num(xs[i]!); }
  strs(xs: readonly string[]) { this.num(xs.length); for (let i = 0; i < xs.length; i++) this.str(xs[i]!); }
}

class In {
  i = 0;
  private strings: string[] = [];
  constructor(private b: Uint8Array) {}
  num(): number {
    const b = this.b;
    let c = b[this.i++]!;
    if (c < 0x80) return (c >>> 1) ^ -(c & 1);
    let v = c & 0x7f, mul = 0x80;
    do { c = b[this.i++]!; v += (c & 0x7f) * mul; mul *= 0x80; } while (c & 0x80);
    return v % 2 === 1 ? -(v + 1) / 2 : v / 2;
  }
  bool(): boolean { return this.num() === 1; }
  str(): string {
    const v = this.num();
    if (v % 2 === 0) return this.strings[v / 2]!;
    const len = (v - 1) / 2;
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(this.b[this.i++]!);
    this.strings.push(s);
    return s;
  }
  nums(): number[] { const n = this.num(); const a = new Array<number>(n); for (let i = 0; i < n; i++) a[i] = this.num(); return a; }
  strs(): string[] { const n = this.num(); const a = new Array<string>(n); for (let i = 0; i < n; i++) a[i] = this.str(); return a; }
}

function putWait(o: Out, w: Wait) {
  o.str(w.kind); o.num(w.ino); o.bool(w.wantWrite); o.bool(w.layout); o.num(w.passPid); o.bool(w.skipPinned); o.num(w.start); o.num(w.end);
  o.num(w.lease); o.num(w.blocker); o.num(w.seq); o.num(w.wake); o.bool(w.woken); o.bool(w.timedOut); o.str(w.op); o.num(w.file);
  o.num(w.fd); o.num(w.len); o.str(w.call); o.num(w.args.length);
  for (const a of w.args) { if (typeof a === "string") { o.num(1); o.str(a); } else { o.num(0); o.num(a); } }
}

function getWait(r: In): Wait {
  const w: Wait = {
    kind: r.str() as Wait["kind"], ino: r.num(), wantWrite: r.bool(), layout: r.bool(), passPid: r.num(), skipPinned: r.bool(), start: r.num(), end: r.num(),
    lease: r.num(), blocker: r.num(), seq: r.num(), wake: r.num(), woken: r.bool(), timedOut: r.bool(), op: r.str() as Wait["op"], file: r.num(),
    fd: r.num(), len: r.num(), call: r.str(), args: [],
  };
  const n = r.num();
  for (let i = 0; i < n; i++) w.args.push(r.num() === 1 ? r.str() : r.num());
  return w;
}

function putProc(o: Out, p: Proc) {
  o.num(p.pid); o.str(p.name); o.num(p.ppid); o.num(p.uid); o.num(p.gid); o.num(p.caps); o.bool(p.sigDefault); o.num(p.state); o.num(p.code);
  o.num(p.fdt);
  o.num(p.vmas.length);
  for (const v of p.vmas) { o.num(v.start); o.num(v.end); o.num(v.file); o.num(v.pgoff); o.num(v.prot); o.num(v.flags); }
  o.num(p.mmapBase);
  o.num(p.sigq.length);
  for (const x of p.sigq) { o.num(x.signo); o.num(x.code); o.num(x.fd); o.num(x.band); }
  o.num(p.sigpend); o.num(p.fatal);
  if (p.wait === null) o.num(0); else { o.num(1); putWait(o, p.wait); }
}

function getProc(r: In): Proc {
  const pid = r.num(), name = r.str(), ppid = r.num(), uid = r.num(), gid = r.num(), caps = r.num(), sigDefault = r.bool(), state = r.num(), code = r.num();
  const fdt = r.num();
  const vmas: Vma[] = [];
  for (let n = r.num(), i = 0; i < n; i++) vmas.push({ start: r.num(), end: r.num(), file: r.num(), pgoff: r.num(), prot: r.num(), flags: r.num() });
  const mmapBase = r.num();
  const sigq = [];
  for (let n = r.num(), i = 0; i < n; i++) sigq.push({ signo: r.num(), code: r.num(), fd: r.num(), band: r.num() });
  const sigpend = r.num(), fatal = r.num();
  const wait = r.num() === 1 ? getWait(r) : null;
  return { pid, name, ppid, uid, gid, caps, sigDefault, state, code, fdt, vmas, mmapBase, sigq, sigpend, fatal, wait };
}

function putFile(o: Out, f: OpenFile | null) {
  if (f === null) { o.num(-1); return; }
  o.num(f.id); o.num(f.kind); o.num(f.ref); o.num(f.ino); o.num(f.flags); o.num(f.fmode); o.num(f.pos); o.num(f.owner); o.num(f.ownerUid);
  o.num(f.signum); o.bool(f.revoked); o.num(f.asyncEvent); o.num(f.sqEntries); o.num(f.obj);
  if (f.sock === null) { o.num(0); return; }
  const k = f.sock;
  o.num(1); o.num(k.type); o.num(k.peer); o.num(k.shut); o.num(k.err); o.num(k.queue.length);
  for (const m of k.queue) { o.str(m.data); o.nums(m.files); o.num(m.pid); }
}

function getSock(r: In): Sock {
  const k: Sock = { type: r.num(), peer: r.num(), shut: r.num(), err: r.num(), queue: [] };
  for (let n = r.num(), i = 0; i < n; i++) k.queue.push({ data: r.str(), files: r.nums(), pid: r.num() });
  return k;
}

function putFdt(o: Out, t: FdTable | null) {
  if (t === null) { o.num(-1); return; }
  o.num(t.id); o.num(t.users); o.nums(t.fds); o.nums(t.cloexec);
}

function getFdt(r: In): FdTable | null {
  const id = r.num();
  return id < 0 ? null : { id, users: r.num(), fds: r.nums(), cloexec: r.nums() };
}

function getFile(r: In): OpenFile | null {
  const id = r.num();
  if (id < 0) return null;
  const f: OpenFile = { id, kind: r.num(), ref: r.num(), ino: r.num(), flags: r.num(), fmode: r.num(), pos: r.num(), owner: r.num(), ownerUid: r.num(), signum: r.num(),
    revoked: r.bool(), asyncEvent: r.num(), sqEntries: r.num(), obj: r.num(), sock: null };
  if (r.num() === 1) f.sock = getSock(r);
  return f;
}

function putInode(o: Out, i: Inode | null) {
  if (i === null) { o.num(-1); return; }
  o.num(i.ino); o.num(i.mnt); o.num(i.mode); o.num(i.uid); o.num(i.gid); o.num(i.size); o.num(i.nlink); o.num(i.readcount); o.num(i.writecount);
  o.num(i.refs); o.nums(i.map); o.str(i.path);
  o.num(i.leases.length);
  for (const l of i.leases) {
    o.num(l.id); o.num(l.file); o.num(l.type); o.num(l.flags); o.num(l.breakTime); o.num(l.downgradeTime); o.num(l.pid); o.num(l.faFd);
    o.num(l.kind); o.num(l.pins); o.num(l.seq);
  }
}

function getInode(r: In): Inode | null {
  const ino = r.num();
  if (ino < 0) return null;
  const i: Inode = { ino, mnt: r.num(), mode: r.num(), uid: r.num(), gid: r.num(), size: r.num(), nlink: r.num(), readcount: r.num(), writecount: r.num(),
    refs: r.num(), map: r.nums(), leases: [], path: r.str() };
  for (let n = r.num(), k = 0; k < n; k++) {
    const l: Lease = { id: r.num(), file: r.num(), type: r.num(), flags: r.num(), breakTime: r.num(), downgradeTime: r.num(), pid: r.num(), faFd: r.num(),
      kind: r.num(), pins: r.num(), seq: r.num() };
    i.leases.push(l);
  }
  return i;
}

function putMount(o: Out, m: Mount) {
  o.str(m.path); o.str(m.type); o.str(m.dax); o.num(m.bsize); o.num(m.nblocks); o.nums(m.owner); o.strs(m.data); o.nums(m.unwritten); o.nums(m.pins); o.nums(m.refcount);
  o.num(m.holes); o.num(m.hint); o.num(m.root); o.num(m.dev);
}

function getMount(r: In): Mount {
  return { path: r.str(), type: r.str() as Mount["type"], dax: r.str() as Mount["dax"], bsize: r.num(), nblocks: r.num(), owner: r.nums(), data: r.strs(),
    unwritten: r.nums(), pins: r.nums(), refcount: r.nums(), holes: r.num(), hint: r.num(), root: r.num(), dev: r.num() };
}

function putPinSet(o: Out, ps: PinSet | null) {
  if (ps === null) { o.num(-1); return; }
  o.num(ps.id); o.str(ps.kind); o.num(ps.ctx); o.num(ps.pd); o.num(ps.pid); o.num(ps.addr); o.num(ps.len); o.num(ps.access); o.bool(ps.odp);
  o.nums(ps.pinned); o.strs(ps.files); o.bool(ps.dead); o.num(ps.lease); o.num(ps.hold);
}

function getPinSet(r: In): PinSet | null {
  const id = r.num();
  if (id < 0) return null;
  return { id, kind: r.str() as PinSet["kind"], ctx: r.num(), pd: r.num(), pid: r.num(), addr: r.num(), len: r.num(), access: r.num(), odp: r.bool(),
    pinned: r.nums(), files: r.strs(), dead: r.bool(), lease: r.num(), hold: r.num() };
}

function putPage(o: Out, g: Page | null) {
  if (g === null) { o.num(-1); return; }
  o.num(g.id); o.num(g.ino); o.num(g.index); o.str(g.data); o.num(g.pins);
}

function getPage(r: In): Page | null {
  const id = r.num();
  if (id < 0) return null;
  return { id, ino: r.num(), index: r.num(), data: r.str(), pins: r.num() };
}

function putList<T>(o: Out, xs: readonly T[], put: (o: Out, x: T) => void) {
  o.num(xs.length);
  for (const x of xs) put(o, x);
}

function getList<T>(r: In, get: (r: In) => T): T[] {
  const n = r.num();
  const out = new Array<T>(n);
  for (let i = 0; i < n; i++) out[i] = get(r);
  return out;
}

export function encodeMState(m: MState): Uint8Array {
  const o = new Out();
  const k = m.k;
  o.num(k.now); o.num(k.leaseBreakTime); o.num(k.leasesEnable); o.num(k.nextLeaseId); o.num(k.nextSeq); o.num(k.pinAcquired); o.num(k.pinReleased);
  putList(o, k.procs, putProc);
  putList(o, k.fdts, putFdt);
  putList(o, k.files, putFile);
  putList(o, k.inodes, putInode);
  putList(o, k.mounts, putMount);
  const names = Object.keys(k.dents);
  o.num(names.length);
  for (const name of names) { o.str(name); o.num(k.dents[name]!); }
  putList(o, k.pages, putPage);
  putList(o, k.pinsets, putPinSet);
  o.num(k.pds.length);
  for (const d of k.pds) { if (d === null) o.num(-1); else { o.num(d.id); o.num(d.ctx); } }
  o.nums(k.delayedFput);
  o.nums(m.pc); o.nums(m.vars); o.nums(m.set); o.nums(m.pbind);
  o.num(m.hq.length);
  for (const q of m.hq) o.nums(q);
  o.nums(m.hrun); o.nums(m.hpc); o.nums(m.hchoice); o.nums(m.anyUsed);
  return o.buf.slice(0, o.n);
}

export function decodeMState(b: Uint8Array, pol: Policy): MState {
  const r = new In(b);
  const now = r.num(), leaseBreakTime = r.num(), leasesEnable = r.num(), nextLeaseId = r.num(), nextSeq = r.num(), pinAcquired = r.num(), pinReleased = r.num();
  const procs = getList(r, getProc);
  const fdts = getList(r, getFdt);
  const files = getList(r, getFile);
  const inodes = getList(r, getInode);
  const mounts = getList(r, getMount);
  const dents: Record<string, number> = {};
  for (let n = r.num(), i = 0; i < n; i++) { const name = r.str(); dents[name] = r.num(); }
  const pages = getList(r, getPage);
  const pinsets = getList(r, getPinSet);
  const pds = [];
  for (let n = r.num(), i = 0; i < n; i++) { const id = r.num(); pds.push(id < 0 ? null : { id, ctx: r.num() }); }
  const delayedFput = r.nums();
  const k: KState = { pol, now, leaseBreakTime, leasesEnable, procs, fdts, files, inodes, mounts, dents, nextLeaseId, nextSeq, pages, pinsets, pds, pinAcquired, pinReleased, delayedFput };
  const pc = r.nums(), vars = r.nums(), set = r.nums(), pbind = r.nums();
  const hq: number[][] = [];
  for (let n = r.num(), i = 0; i < n; i++) hq.push(r.nums());
  return { k, pc, vars, set, pbind, hq, hrun: r.nums(), hpc: r.nums(), hchoice: r.nums(), anyUsed: r.nums() };
}
