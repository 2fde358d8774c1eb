// The machine the runner and the explorer drive: a script's programs over the kernel, as
// plain data (MState), with a narrow API: boot, moves, step, hash. A move is a choice of the
// scheduler or of the environment: a process's next program call (or skipping an optional
// one), a handler call, an @any call, or time running out. What the kernel does by itself
// after a move (a woken sleeper resumes, a process with a fatal signal exits) is the
// scheduler's, not a choice: `settle` runs it at once, lowest pid first.
import type { KState, Proc, SigInfo } from "../kernel/include/state.js";
import { PState, BLOCKED } from "../kernel/include/state.js";
import type { Policy } from "../policy/types.js";
import { boot as bootKernel } from "../kernel/boot.js";
import { syscall, runnable, resume, die, tick, nicAccess, DIED, type SysArg, type SysResult } from "../kernel/entry.js";
import { nextTimer } from "../kernel/sched/exit.js";
import { cloneState, hashState, stateKey, canonicalMr, canonicalPd } from "../kernel/snapshot.js";
import { resolveArgs } from "../run/resolve.js";
import { type Compiled, type ProgCall, nicIndex } from "./program.js";
import { assert } from "../kernel/include/assert.js";

/** The explored state: the kernel's, and where each program is. Plain data. */
export interface MState {
  k: KState;
  /** Per program (processes, then the NIC): the index of its next call. */
  pc: number[];
  /** Per `$name`: its value, and 1 once a call bound it (a name bound by a failed call stays NULL). */
  vars: number[];
  set: number[];
  /** Per process: the `$name` its sleeping call binds when it returns (-1: none). */
  pbind: number[];
  /** Per process: handlers whose signal is pending, in arrival order; the running handler and its next call. */
  hq: number[][];
  hrun: number[];
  hpc: number[];
  /** Per optional handler: 0 not decided yet, 1 the process reacts, 2 it ignores the signal. */
  hchoice: number[];
  /** Per @any: how often it happened (counted only while it has a finite max). */
  anyUsed: number[];
}

export type MoveKind = "call" | "skip" | "handler" | "react" | "ignore" | "any" | "tick";
/** `i`: the program for call and skip, the process for handler/react/ignore, the @any for any. */
export interface Move { k: MoveKind; i: number }

const KINDS: MoveKind[] = ["call", "skip", "handler", "react", "ignore", "any", "tick"];

/** A move as one number (for the explorer's graph). */
export function encodeMove(mv: Move): number {
  return KINDS.indexOf(mv.k) * 0x100000 + mv.i;
}

export function decodeMove(code: number): Move {
  return { k: KINDS[Math.floor(code / 0x100000)]!, i: code % 0x100000 };
}

/** What a call that ran in a move or a settle returned. */
export interface CallOut { prog: number; call: ProgCall; args: SysArg[]; res: SysResult }
/** A sleeping call's end: its result, or DIED when its process was killed in it. */
/** A sleeping call's end: its process, the call and its arguments (as it sleeps: restarts are the same call), what it returned. */
export interface Completion { proc: number; ret: number; call: string; args: SysArg[] }

export interface StepOut {
  /** The call the move made (null for tick and ignore). */
  call: CallOut | null;
  /** Calls that returned during the settle after the move (and the move's own, if it returned later). */
  completions: Completion[];
  /** Processes that died during the move or its settle. */
  deaths: number[];
  /** Virtual ms that passed (tick). */
  elapsed: number;
  /** Caught signals that reached user space (with handlers on): process and signal. */
  delivered: { proc: number; sig: SigInfo }[];
}

export function newStepOut(): StepOut {
  return { call: null, completions: [], deaths: [], elapsed: 0, delivered: [] };
}

export interface MachineOptions {
  /** Deliver caught signals to @on handlers (the explorer); the runner takes them itself. */
  handlers: boolean;
}

export class Machine {
  readonly nic: number;
  constructor(readonly c: Compiled, readonly pol: Policy, readonly opts: MachineOptions) {
    this.nic = nicIndex(c);
  }

  boot(): MState {
    const k = bootKernel(this.c.sc, this.pol);
    const n = this.c.procs.length;
    return {
      k, pc: new Array(n + 1).fill(0), vars: new Array(this.c.vars.length).fill(0), set: new Array(this.c.vars.length).fill(0),
      pbind: new Array(n).fill(-1), hq: Array.from({ length: n }, () => []), hrun: new Array(n).fill(-1), hpc: new Array(n).fill(0),
      hchoice: new Array(this.c.handlers.length).fill(0), anyUsed: new Array(this.c.anys.length).fill(0),
    };
  }

  clone(m: MState): MState {
    return {
      k: cloneState(m.k), pc: m.pc.slice(), vars: m.vars.slice(), set: m.set.slice(), pbind: m.pbind.slice(),
      hq: m.hq.map((q) => q.slice()), hrun: m.hrun.slice(), hpc: m.hpc.slice(), hchoice: m.hchoice.slice(), anyUsed: m.anyUsed.slice(),
    };
  }

  /** The kernel's process for script process i, or null before its fork. */
  proc(m: MState, i: number): Proc | null {
    const pid = this.c.procs[i]!.pid;
    for (const p of m.k.procs) if (p.pid === pid) return p;
    return null;
  }

  procIndex(pid: number): number {
    return this.c.procs.findIndex((p) => p.pid === pid);
  }

  /** Dead (exited or killed). */
  gone(m: MState, i: number): boolean {
    const p = this.proc(m, i);
    return p !== null && (p.state === PState.Exited || p.state === PState.Killed);
  }

  /** A process that may make a call now: alive, in user space, no fatal signal to act on. */
  private ready(m: MState, i: number): boolean {
    const p = this.proc(m, i);
    return p !== null && p.state === PState.Running && p.wait === null && p.fatal === 0;
  }

  /** Every move the scheduler or the environment may make in a settled state. */
  moves(m: MState): Move[] {
    const out: Move[] = [];
    const n = this.c.procs.length;
    for (let i = 0; i < n; i++) {
      if (!this.ready(m, i)) continue;
      if (m.hrun[i]! >= 0) { out.push({ k: "handler", i }); continue; }
      const q = m.hq[i]!;
      if (q.length > 0) {
        const h = q[0]!;
        if (this.c.handlers[h]!.optional && m.hchoice[h] === 0) out.push({ k: "react", i }, { k: "ignore", i });
        else out.push({ k: "handler", i });
        continue;
      }
      const prog = this.c.programs[i]!;
      const pc = m.pc[i]!;
      if (pc < prog.length) {
        out.push({ k: "call", i });
        if (prog[pc]!.step.optional) out.push({ k: "skip", i });
      }
    }
    const nicProg = this.c.programs[this.nic]!;
    const npc = m.pc[this.nic]!;
    if (npc < nicProg.length) {
      out.push({ k: "call", i: this.nic });
      if (nicProg[npc]!.step.optional) out.push({ k: "skip", i: this.nic });
    }
    this.c.anys.forEach((a, j) => {
      if (a.max !== Infinity && m.anyUsed[j]! >= a.max) return;
      if (!a.call.uses.every((v) => m.set[v] === 1)) return;
      if (a.proc !== this.nic && !this.ready(m, a.proc)) return;
      out.push({ k: "any", i: j });
    });
    if (nextTimer(m.k) >= 0) out.push({ k: "tick", i: 0 });
    return out;
  }

  /** Makes a move in place, then settles. */
  step(m: MState, mv: Move): StepOut {
    const out: StepOut = newStepOut();
    switch (mv.k) {
      case "call": {
        const call = this.c.programs[mv.i]![m.pc[mv.i]!]!;
        m.pc[mv.i]!++;
        out.call = this.run(m, mv.i, call, out);
        break;
      }
      case "skip":
        m.pc[mv.i]!++;
        break;
      case "react": case "ignore": {
        const h = m.hq[mv.i]![0]!;
        m.hchoice[h] = mv.k === "react" ? 1 : 2;
        if (mv.k === "ignore") { m.hq[mv.i]!.shift(); break; }
        out.call = this.handlerCall(m, mv.i, out);
        break;
      }
      case "handler":
        out.call = this.handlerCall(m, mv.i, out);
        break;
      case "any": {
        const a = this.c.anys[mv.i]!;
        if (a.max !== Infinity) m.anyUsed[mv.i]!++;
        out.call = this.run(m, a.proc, a.call, out);
        break;
      }
      case "tick":
        this.advance(m, nextTimer(m.k), out);
        return out;
    }
    this.settle(m, out);
    return out;
  }

  /**
   * Time passes until `until` (as `sleep` does): each timeout due by then fires, in order,
   * and what it wakes runs; then the clock reads `until`.
   */
  advance(m: MState, until: number, out: StepOut) {
    const before = m.k.now;
    for (let guard = 0; ; guard++) {
      assert(guard < 100_000, "timers keep firing");
      const t = nextTimer(m.k);
      if (t < 0 || t > until) break;
      tick(m.k);
      this.settle(m, out);
    }
    m.k.now = Math.max(m.k.now, until);
    out.elapsed += m.k.now - before;
  }

  /** The next call of the handler process i runs (starting the first pending one if none is running). */
  private handlerCall(m: MState, i: number, out: StepOut): CallOut | null {
    if (m.hrun[i]! < 0) {
      m.hrun[i] = m.hq[i]!.shift()!;
      m.hpc[i] = 0;
    }
    const h = this.c.handlers[m.hrun[i]!]!;
    const call = h.calls[m.hpc[i]!];
    m.hpc[i]!++;
    if (m.hpc[i]! >= h.calls.length) { m.hrun[i] = -1; m.hpc[i] = 0; }
    return call === undefined ? null : this.run(m, i, call, out);
  }

  /** Runs one call of program `prog` (a process, or the NIC). */
  private run(m: MState, prog: number, call: ProgCall, out: StepOut): CallOut {
    const args = this.resolve(m, call);
    let res: SysResult;
    if (prog === this.nic) res = nicAccess(m.k, call.step.name, args);
    else {
      const p = this.proc(m, prog)!;
      const child = call.child >= 0 ? { name: this.c.procs[call.child]!.name, pid: this.c.procs[call.child]!.pid } : undefined;
      res = syscall(m.k, p, call.step.name, args, child);
      if (res.ret === BLOCKED) m.pbind[prog] = call.bind;
      if (res.ret === DIED) out.deaths.push(prog);
    }
    if (res.ret !== BLOCKED) this.bind(m, call.bind, res.ret);
    return { prog, call, args, res };
  }

  resolve(m: MState, call: ProgCall): SysArg[] {
    return resolveArgs({
      file: this.c.sc.file,
      varValue: (name) => m.vars[this.c.vars.indexOf(name)] ?? 0,
      pidOf: (name) => {
        const i = this.c.procs.findIndex((p) => p.name === name);
        return i >= 0 && this.proc(m, i) !== null ? this.c.procs[i]!.pid : 0;
      },
    }, call.step);
  }

  /** A successful result binds its `$name` once (a later call that would bind it again leaves it). */
  private bind(m: MState, v: number, ret: number) {
    if (v < 0 || m.set[v] === 1 || ret < 0 || ret === DIED) return;
    m.vars[v] = ret;
    m.set[v] = 1;
  }

  /**
   * What the kernel does by itself after a move, until nothing is left: a process with a
   * fatal signal exits, a woken sleeper runs on. Lowest pid first, so runs are deterministic.
   */
  settle(m: MState, out: StepOut) {
    for (let guard = 0; ; guard++) {
      assert(guard < 100_000, "settle does not converge");
      let acted = false;
      for (const p of m.k.procs) {
        const what = runnable(m.k, p);
        if (what === null) continue;
        const i = this.procIndex(p.pid);
        const call = p.wait?.call ?? "", args = p.wait?.args ?? [];
        if (what === "die") {
          const inCall = p.wait !== null;
          die(m.k, p);
          out.deaths.push(i);
          if (inCall) out.completions.push({ proc: i, ret: DIED, call, args });
          m.pbind[i] = -1;
          m.hq[i] = [];
          m.hrun[i] = -1;
        } else {
          const r = resume(m.k, p);
          if (r !== BLOCKED) {
            out.completions.push({ proc: i, ret: r, call, args });
            this.bind(m, m.pbind[i]!, r);
            m.pbind[i] = -1;
          }
        }
        acted = true;
        break;
      }
      if (!acted) break;
    }
    if (this.opts.handlers) this.deliver(m, out);
  }

  /** Caught signals reach user space: those with an @on handler queue it; the others do nothing. */
  private deliver(m: MState, out: StepOut) {
    for (const p of m.k.procs) {
      // In user space the signals are taken (its next call starts with none pending, as
      // syscall() resets it): the count is not part of the state.
      if (p.state === PState.Running && p.wait === null) p.sigpend = 0;
      if (p.sigq.length === 0) continue;
      const i = this.procIndex(p.pid);
      for (const sig of p.sigq) { this.queueHandler(m, i, sig); out.delivered.push({ proc: i, sig }); }
      p.sigq = [];
    }
  }

  /** An environment move (@any): a fault or a device, never what wakes an innocent sleeper. */
  isFault(mv: Move): boolean {
    return mv.k === "any";
  }

  private queueHandler(m: MState, i: number, sig: SigInfo) {
    this.c.handlers.forEach((h, j) => {
      if (h.proc !== i || h.sig !== sig.signo || m.hchoice[j] === 2) return;
      if (m.hq[i]!.includes(j) || m.hrun[i] === j) return;
      m.hq[i]!.push(j);
    });
  }

  /** The state's identity for the visited set: 64-bit hash, or the exact key. */
  hash(m: MState): string {
    return hashState(m.k, () => this.extra(m));
  }

  key(m: MState): string {
    return stateKey(m.k, () => this.extra(m));
  }

  /**
   * The machine's own part of the state, as numbers; handles of memory regions and protection
   * domains in the kernel's canonical numbering (call it after a walk of the same kernel state).
   */
  extra(m: MState): number[] {
    const x = this.scratch;
    x.length = 0;
    const n = this.c.procs.length;
    // A process that is gone makes no more moves: where its program stood does not matter.
    for (let i = 0; i < m.pc.length; i++) x.push(i < n && this.gone(m, i) ? -1 : m.pc[i]!);
    const kinds = this.c.varKinds, owner = this.c.varOwner;
    for (let v = 0; v < m.vars.length; v++) {
      // A name only a process that is gone bound and used is read by nobody again.
      if (owner[v]! >= 0 && x[owner[v]!] === -1) { x.push(0, 0); continue; }
      const val = m.vars[v]!;
      x.push(m.set[v]!, kinds[v] === "mr" ? canonicalMr(val) : kinds[v] === "pd" ? canonicalPd(val) : val);
    }
    for (let i = 0; i < n; i++) x.push(m.pbind[i]!, m.hrun[i]!, m.hpc[i]!);
    for (let j = 0; j < m.hchoice.length; j++) x.push(m.hchoice[j]!);
    for (let i = 0; i < n; i++) { const q = m.hq[i]!; x.push(q.length); for (let k = 0; k < q.length; k++) x.push(q[k]!); }
    for (let j = 0; j < this.c.anys.length; j++) x.push(this.c.anys[j]!.max === Infinity ? 0 : m.anyUsed[j]!);
    return x;
  }

  /** The array extra() fills (reused: its values are read at once). */
  private scratch: number[] = [];
}
