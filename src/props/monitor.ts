// The five properties of PROPOSALS.md, checked after every step. A property that fails is
// a finding about the policy, not an error of the run.
import type { KState, Proc, PinSet, Inode } from "../kernel/include/state.js";
import { PState, PIN_DAX, BLOCKED, FK_INODE } from "../kernel/include/state.js";
import { policyOf } from "../policy/registry.js";
import { quadTarget } from "../kernel/mm/gup.js";
import { cloneState, cloneProc } from "../kernel/snapshot.js";
import { sendSignal } from "../kernel/sched/signal.js";
import { settle } from "../kernel/sched/exit.js";
import { syscall, dispatch, nextPid } from "../kernel/entry.js";
import { SIGKILL, SI_USER } from "../kernel/include/signal_names.js";
import { ETXTBSY, EDEADLK } from "../kernel/include/errno.js";
import * as U from "../kernel/include/uapi.js";
import { MMAP_TOP } from "../kernel/mm/mmap.js";

export { PROPERTIES } from "./names.js";
export interface Violation { line: number; property: string; detail: string }

function alive(p: Proc): boolean {
  return p.state === PState.Running || p.state === PState.Blocked;
}

function pinCount(ps: PinSet): number {
  return ps.pinned.length / 4;
}

/**
 * The live processes that an admin view names for a pinned file, and that can release
 * the pin (they registered it or hold its owner: the RDMA context or the ring).
 * The views: lsof (the file open or mapped), /proc/locks (its leases), RFC v2's
 * /proc/<pid>/file_pins, and under mr-owned the file in `rdma resource show mr`.
 * Pins of anonymous memory name no file: the rdma tool's pid (or the ring's holders) do.
 */
export function namedPinners(s: KState, ps: PinSet): Proc[] {
  const out: Proc[] = [];
  const related = (p: Proc | undefined): p is Proc => p !== undefined && alive(p) && (p.pid === ps.pid || p.fds.includes(ps.ctx));
  const add = (p: Proc | undefined) => { if (related(p) && !out.includes(p)) out.push(p); };
  const pol = policyOf(s);
  const inos = new Set<number>();
  for (let i = 3; i < ps.pinned.length; i += 4) inos.add(ps.pinned[i]!);
  for (const ino of inos) {
    if (ino < 0) {
      if (ps.kind === "mr") add(s.procs.find((p) => p.pid === ps.pid));
      else for (const p of s.procs) if (p.fds.includes(ps.ctx)) add(p);
      continue;
    }
    for (const p of s.procs) {
      if (!related(p)) continue;
      const lsof = p.fds.some((id) => id >= 0 && s.files[id]!.kind === FK_INODE && s.files[id]!.ino === ino) ||
        p.vmas.some((v) => v.file >= 0 && s.files[v.file]!.ino === ino);
      const locks = s.inodes[ino]?.leases.some((l) => l.pid === p.pid) ?? false;
      const filePins = pol.filePinsView && (p.fds.includes(ps.ctx) || (ps.kind === "uring" && p.pid === ps.pid));
      const rdma = pol.mrFileView && ps.kind === "mr" && p.pid === ps.pid;
      if (lsof || locks || filePins || rdma) add(p);
    }
  }
  return out;
}

function pinsOn(ps: PinSet, ino: number): boolean {
  for (let i = 0; i < ps.pinned.length; i += 4) if (ps.pinned[i + 3] === ino) return true;
  return false;
}

function holdsLeaseOrPin(s: KState, p: Proc): boolean {
  for (const inode of s.inodes) if (inode !== null) for (const l of inode.leases) if (l.pid === p.pid || p.fds.includes(l.file)) return true;
  for (const ps of s.pinsets) if (ps !== null && pinCount(ps) > 0 && (ps.pid === p.pid || p.fds.includes(ps.ctx))) return true;
  return false;
}

/** The calls that change a layout, and the errnos that mean "refused because of a pin". */
const LAYOUT_CALLS = new Set(["truncate", "ftruncate", "fallocate", "open", "openat", "write", "pwrite", "pwrite64"]);

export interface StepOutcome { proc: Proc | null; call: string; args: (number | string)[]; ret: number }

export class Monitor {
  readonly violations: Violation[] = [];
  private failed = new Set<string>();

  private add(line: number, property: string, detail: string) {
    if (this.failed.has(property)) return;
    this.failed.add(property);
    this.violations.push({ line, property, detail });
  }

  failedSet(): Set<string> {
    return this.failed;
  }

  /** After a step: the state's own events, then each property checked on the state. */
  check(s: KState, line: number, out: StepOutcome | null) {
    for (const e of s.events) this.add(line, e.property, e.detail);
    s.events.length = 0;
    this.noCorruption(s, line);
    this.pinnerVisible(s, line);
    this.innocentHang(s, line);
    if (out !== null) this.recoverable(s, line, out);
  }

  private noCorruption(s: KState, line: number) {
    for (const ps of s.pinsets) {
      if (ps === null) continue;
      for (let i = 0; i < ps.pinned.length; i += 4) {
        if (ps.pinned[i] !== PIN_DAX) continue;
        const t = quadTarget(s, ps.pinned, i);
        const want = ps.pinned[i + 3]!;
        if (t.owner === want) continue;
        const m = s.mounts[ps.pinned[i + 1]!]!;
        const what = t.owner < 0 ? "freed" : `given to ${s.inodes[t.owner]!.path}`;
        this.add(line, "no-corruption", `block ${t.block} of ${m.path}, pinned by ${ps.kind === "mr" ? "MR" : "io_uring buffer"} ${ps.id} for ${ps.files[i / 4]}, was ${what} while the device can still write it`);
      }
    }
  }

  private pinnerVisible(s: KState, line: number) {
    for (const ps of s.pinsets) {
      if (ps === null || pinCount(ps) === 0) continue;
      if (namedPinners(s, ps).length > 0) continue;
      const files = [...new Set(ps.files)].join(", ");
      this.add(line, "pinner-visible", `${pinCount(ps)} pages of ${files} pinned by ${ps.kind === "mr" ? "MR" : "io_uring buffer"} ${ps.id}, and no admin view that shows the file names a live process holding the pin`);
    }
  }

  /**
   * Waits with no timeout by processes that held no lease and no pin when they began.
   * Such a wait is a hang if it is still going at the end of the run, or if it ended only
   * because someone was killed; a wait that the pinners end by themselves is not.
   */
  private waits = new Map<number, { line: number; call: string; killed: number }>();

  private innocentHang(s: KState, line: number) {
    const killed = s.procs.filter((p) => p.state === PState.Killed).length;
    for (const p of s.procs) {
      // Waits on pins and layouts; a plain lease break that never times out is what
      // fs.lease-break-time <= 0 asks for, not a hang the pins cause.
      const w0 = p.wait;
      const forever = p.state === PState.Blocked && w0 !== null && (w0.kind === "dax" || w0.kind === "unpin" || (w0.kind === "lease" && w0.layout && w0.wake < 0));
      const w = this.waits.get(p.pid);
      if (!forever) {
        if (w !== undefined && killed > w.killed) this.hang(s, p, w);
        this.waits.delete(p.pid);
      } else if (w === undefined && !holdsLeaseOrPin(s, p)) this.waits.set(p.pid, { line, call: p.call, killed });
    }
  }

  private hang(s: KState, p: Proc, w: { line: number; call: string }) {
    void s;
    this.add(w.line, "no-innocent-hang", `${p.name} waits in ${w.call} with no timeout while holding no lease and no pin`);
  }

  /** After the last step: a wait with no timeout that is still going is a hang. */
  finish(s: KState) {
    for (const [pid, w] of this.waits) this.hang(s, s.procs.find((x) => x.pid === pid)!, w);
  }

  /** Refused (ETXTBSY, EDEADLK) or asleep on pins: killing the named pinners must let the call succeed. */
  private recoverable(s: KState, line: number, out: StepOutcome) {
    if (!LAYOUT_CALLS.has(out.call) || out.proc === null) return;
    const p = out.proc;
    const asleep = out.ret === BLOCKED && p.wait !== null && p.wait.kind !== "lease";
    if (out.ret !== -ETXTBSY && out.ret !== -EDEADLK && !asleep) return;
    const inode = targetInode(s, p, out);
    if (inode === null) return;
    // Only refusals where pins are in play: a lease alone is not a pin.
    if (!s.pinsets.some((ps) => ps !== null && pinCount(ps) > 0 && pinsOn(ps, inode.ino))) return;
    const c = cloneState(s);
    const named = new Set<number>();
    for (const ps of c.pinsets) if (ps !== null && pinCount(ps) > 0 && pinsOn(ps, inode.ino)) for (const q of namedPinners(c, ps)) named.add(q.pid);
    // /proc/locks names the holders of the layout leases on the file.
    for (const l of c.inodes[inode.ino]!.leases) { const q = c.procs.find((x) => x.pid === l.pid); if (q !== undefined && alive(q)) named.add(q.pid); }
    for (const q of c.procs) if (named.has(q.pid)) sendSignal(c, q, { signo: SIGKILL, code: SI_USER, fd: 0, band: 0 });
    settle(c);
    const cp = c.procs.find((x) => x.pid === p.pid)!;
    let ok: boolean;
    if (alive(cp) && !asleep) {
      cp.sigpend = 0;
      const r = dispatch(c, cp, out.call, out.args).ret;
      ok = r >= 0 && r !== BLOCKED;
    } else if (alive(cp)) ok = cp.state === PState.Running && cp.done && cp.ret >= 0;
    else ok = adminRetry(c, inode, out);
    if (ok) return;
    const who = [...named].map((pid) => s.procs.find((x) => x.pid === pid)!.name);
    this.add(line, "recoverable", `killing ${who.length ? who.join(", ") : "the processes the admin views name (none)"} does not let ${p.name}'s ${out.call} of ${inode.path} succeed`);
  }

  /** What happened to each property, for @expect. */
  holds(property: string): boolean {
    return !this.failed.has(property);
  }
}

function targetInode(s: KState, p: Proc, out: StepOutcome): Inode | null {
  const path = out.call === "truncate" || out.call === "open" ? out.args[0] : out.call === "openat" ? out.args[1] : null;
  if (typeof path === "string") { const ino = s.dents[path]; return ino === undefined ? null : s.inodes[ino] ?? null; }
  const fd = out.args[0];
  if (typeof fd !== "number" || fd < 0 || fd >= p.fds.length || p.fds[fd]! < 0) return null;
  return s.inodes[s.files[p.fds[fd]!]!.ino] ?? null;
}

/** The original caller died with the pinners: a root process makes the same change by path. */
function adminRetry(c: KState, inode: Inode, out: StepOutcome): boolean {
  const pid = nextPid(c);
  const admin0 = cloneProc(c.procs[0]!);
  Object.assign(admin0, { pid, name: "admin", ppid: 1, uid: 0, gid: 0, caps: 0x1ff, sigDefault: false, state: PState.Running, code: 0,
    fds: [], vmas: [], mmapBase: MMAP_TOP, sigs: [], sigpend: 0, fatal: 0, wait: null, call: "", ret: 0, done: true });
  c.procs.push(admin0);
  const admin = c.procs[c.procs.length - 1]!;
  let r: number;
  if (out.call === "fallocate") {
    const fd = syscall(c, admin, "open", [inode.path, U.O_RDWR, 0]).ret;
    if (fd < 0) return false;
    r = syscall(c, admin, "fallocate", [fd, ...out.args.slice(1)]).ret;
  } else {
    const len = out.call === "ftruncate" || out.call === "truncate" ? Number(out.args[1]) : 0;
    r = syscall(c, admin, "truncate", [inode.path, len]).ret;
  }
  return r >= 0 && r !== BLOCKED;
}
