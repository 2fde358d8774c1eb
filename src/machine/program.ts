// A script as the machine runs it: one program per process (its calls in written order),
// the NIC's program, the handlers (@on) and the environment's moves (@any), with every
// `$name` given a number. Results written in the script are not part of a program.
import type { Scenario, CallStep, Arg } from "../scenario/ast.js";
import { FIRST_PID } from "../kernel/boot.js";

/** One call a program makes. */
export interface ProgCall {
  step: CallStep;
  /** The `$name` a successful result binds (-1: none); a call written `...` takes it from its `<... resumed>` line. */
  bind: number;
  /** The `$name`s its arguments use. */
  uses: number[];
  /** For fork: the child's process index. */
  child: number;
}

export interface ProcInfo { name: string; pid: number }

export interface HandlerProg { proc: number; sig: number; optional: boolean; calls: ProgCall[]; line: number }
export interface AnyProg { proc: number; call: ProgCall; max: number; line: number }

export interface Compiled {
  sc: Scenario;
  /** Every process the script names: the declared ones, then the children of forks, in order of their fork steps. */
  procs: ProcInfo[];
  /** programs[i] for process i; programs[procs.length] is the NIC's. */
  programs: ProgCall[][];
  handlers: HandlerProg[];
  anys: AnyProg[];
  vars: string[];
  /** What each `$name` holds, by the call that binds it: a memory region's or a protection domain's handle, or a plain value. */
  varKinds: ("mr" | "pd" | "value")[];
  /**
   * The process whose calls (program and handlers) alone bind and use each `$name`, or -1
   * (used by another process, the NIC or an @any line): once that process is gone, nothing
   * reads the name again.
   */
  varOwner: number[];
}

/** The index of the NIC's program. */
export function nicIndex(c: Compiled): number {
  return c.procs.length;
}

export function compile(sc: Scenario): Compiled {
  const procs: ProcInfo[] = sc.procs.map((d, i) => ({ name: d.name, pid: FIRST_PID + i }));
  for (const step of sc.steps) {
    if (step.k !== "call" || (step.name !== "fork" && step.name !== "clone") || step.expect?.k !== "value") continue;
    const name = step.expect.text;
    if (!procs.some((p) => p.name === name)) procs.push({ name, pid: FIRST_PID + procs.length });
  }
  const index = (name: string) => (name === "NIC" ? procs.length : procs.findIndex((p) => p.name === name));
  const vars: string[] = [];
  const varOf = (name: string) => {
    let i = vars.indexOf(name);
    if (i < 0) { i = vars.length; vars.push(name); }
    return i;
  };
  const prog = (step: CallStep): ProgCall => {
    const uses: number[] = [];
    for (const a of step.args as Arg[]) if (a.k === "var" && !uses.includes(varOf(a.v))) uses.push(varOf(a.v));
    const bind = step.expect?.k === "bind" ? varOf(step.expect.name) : -1;
    const child = (step.name === "fork" || step.name === "clone") && step.expect?.k === "value" ? index(step.expect.text) : -1;
    return { step, bind, uses, child };
  };
  const programs: ProgCall[][] = Array.from({ length: procs.length + 1 }, () => []);
  for (const step of sc.steps) {
    if (step.k === "call") programs[index(step.proc)]!.push(prog(step));
    else if (step.k === "resumed" && step.expect?.k === "bind") {
      // `<... open resumed> = $fd` binds the result of the call that slept.
      const list = programs[index(step.proc)]!;
      const last = list[list.length - 1];
      if (last !== undefined && last.bind < 0) last.bind = varOf(step.expect.name);
    }
  }
  const handlers = sc.handlers.map((h) => ({ proc: index(h.proc), sig: h.sig, optional: h.optional, calls: h.calls.map(prog), line: h.line }));
  const anys = sc.anys.map((a) => ({ proc: index(a.proc), call: prog(a.call), max: a.max, line: a.line }));
  const varKinds = vars.map((_, v) => {
    const all = [...programs.flat(), ...handlers.flatMap((h) => h.calls), ...anys.map((a) => a.call)];
    const binder = all.find((c) => c.bind === v)?.step.name;
    return binder === "ibv_reg_mr" ? "mr" : binder === "ibv_alloc_pd" ? "pd" : "value";
  });
  const varOwner = vars.map(() => -2);
  const own = (c: ProgCall, actor: number) => {
    for (const v of [...c.uses, ...(c.bind >= 0 ? [c.bind] : [])]) varOwner[v] = varOwner[v] === -2 || varOwner[v] === actor ? actor : -1;
  };
  programs.forEach((list, i) => list.forEach((c) => own(c, i === procs.length ? -1 : i)));
  for (const h of handlers) for (const c of h.calls) own(c, h.proc);
  for (const a of anys) own(a.call, -1);
  return { sc, procs, programs, handlers, anys, vars, varKinds, varOwner: varOwner.map((o) => (o < 0 ? -1 : o)) };
}
