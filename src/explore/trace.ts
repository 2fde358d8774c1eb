// A run of moves, replayed and written back as a scenario script that `daxlease run`
// replays step for step: the input's declarations, then each step in the order it happened
// with its actual result, and a comment where the property failed. Also what each step
// changed (--explain) and the run as a Mermaid sequence diagram (--mermaid).
import { readMsg } from "../scenario/msg.js";
import type { Scenario, CallStep } from "../scenario/ast.js";
import type { Machine, MState, Move, StepOut, CallOut } from "../machine/machine.js";
import { BLOCKED, PState, FK_INODE } from "../kernel/include/state.js";
import { DIED } from "../kernel/entry.js";
import { procFds } from "../kernel/fs/file.js";
import { fmtResult, fmtErrno } from "../scenario/notation.js";
import { quoteBytes } from "../scenario/lex.js";
import { signalName } from "../kernel/include/signal_names.js";
import { ALL_CAPS } from "../scenario/parse.js";
import { formatSigInfo } from "../scenario/report.js";
import { parseScenario } from "../scenario/parse.js";
import { runOnModel } from "../run/model.js";
import { PROPERTIES } from "../props/names.js";

/** One move of a run, with what it did and the state after it. */
export interface TraceStep { move: Move; out: StepOut; before: MState; after: MState }

export function replay(m: Machine, moves: readonly Move[]): TraceStep[] {
  let st = m.boot();
  const out: TraceStep[] = [];
  for (const mv of moves) {
    const next = m.clone(st);
    out.push({ move: mv, out: m.step(next, mv), before: st, after: next });
    st = next;
  }
  return out;
}

/** A policy spec as a file-name part: `sticky,close=block` is `sticky-close-block`. */
export function policySlug(policy: string): string {
  return policy.replace(/[,=]/g, "-");
}

/** The declarations of a scenario, written back (without @expect, @policy and the explorer's lines). */
export function header(sc: Scenario, name: string): string[] {
  const out = [`@scenario ${name}`];
  if (sc.leaseBreakTime !== null) out.push(`@sysctl fs.lease-break-time=${sc.leaseBreakTime}`);
  if (sc.leasesEnable !== null) out.push(`@sysctl fs.leases-enable=${sc.leasesEnable}`);
  for (const m of sc.mounts) out.push(`@fs ${m.path} type=${m.type} dax=${m.dax} size=${m.size}${m.blockSize !== 4096 ? ` bsize=${m.blockSize}` : ""}`);
  for (const f of sc.files) out.push(`@file ${f.path} size=${f.size} uid=${f.uid} gid=${f.gid} mode=0${f.mode.toString(8)}`);
  for (const p of sc.procs) {
    const dflt = p.uid === 0 ? ALL_CAPS : [];
    const same = p.caps.length === dflt.length && p.caps.every((c) => dflt.includes(c));
    const caps = same ? "" : ` caps=${p.caps.length ? p.caps.join(",") : "none"}`;
    out.push(`@proc ${p.name} uid=${p.uid} gid=${p.gid}${caps}${p.sigDefault ? " sig=default" : ""}`);
  }
  return out;
}

/**
 * The call as written, with its output parameters replaced by what it gave (so that the
 * replay checks them): a read's buffer, socketpair's descriptors, recvmsg's bytes and
 * descriptors.
 */
function callText(call: CallStep, data: string | undefined, fds: readonly number[] | undefined): string {
  const args = (i: number, text: string) => `${call.name}(${call.args.map((a, k) => (k === i ? text : a.text)).join(", ")})`;
  if (call.name === "socketpair" && fds !== undefined) return args(3, `[${fds.join(", ")}]`);
  if (call.name === "recvmsg" && data !== undefined) {
    const m = readMsg(call.args[1], false);
    const ctl = m.fds === null ? "" : `, msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[${(fds ?? []).join(", ")}]}]`;
    return args(1, `{msg_iov=[{iov_base=${quoteBytes(data)}, iov_len=${m.size}}]${ctl}}`);
  }
  if (!(call.name === "read" || call.name === "pread" || call.name === "pread64") || data === undefined) return call.text;
  return args(1, quoteBytes(data));
}

/** Writes runs: keeps which `$name`s are bound and which call each process sleeps in. */
class Writer {
  private bound = new Set<string>();
  private pending = new Map<number, CallStep>();
  readonly lines: string[] = [];
  constructor(private m: Machine, private st: () => MState) {}

  private name(i: number): string {
    return i === this.m.nic ? "NIC" : this.m.c.procs[i]!.name;
  }

  private nameOfPid = (pid: number): string => {
    const i = this.m.procIndex(pid);
    return i >= 0 ? this.m.c.procs[i]!.name : String(pid);
  };

  private result(call: CallStep, ret: number, data: string | undefined): string {
    if (ret === DIED) return " = ?";
    if (call.expect?.k === "bind" && ret >= 0 && !this.bound.has(call.expect.name)) {
      this.bound.add(call.expect.name);
      return ` = $${call.expect.name}`;
    }
    if (call.name === "rdma_read" && ret >= 0) return ` = ${quoteBytes(data ?? "")}`;
    if (call.name === "rdma_write") return ret < 0 ? ` = ${fmtErrno(-ret)}` : ` = ${ret}`;
    return ` = ${fmtResult(call.name, call.args, ret, this.nameOfPid)}`;
  }

  call(c: CallOut, note: string) {
    const who = this.name(c.prog);
    const text = callText(c.call.step, c.res.data, c.res.fds);
    const suffix = note === "" ? "" : `    # ${note}`;
    if (c.res.ret === BLOCKED) {
      this.pending.set(c.prog, c.call.step);
      // A call written `...` binds its result on the <... resumed> line.
      this.lines.push(`${who}: ${text} ...${suffix}`);
      return;
    }
    if (c.res.lines !== undefined && c.res.ret >= 0) {
      this.lines.push(`${who}: ${text}${suffix}`);
      if (c.res.lines.length === 0) this.lines.push(">");
      else for (const l of c.res.lines) this.lines.push(`> ${l.trim().replace(/\s+/g, " ")}`);
      return;
    }
    this.lines.push(`${who}: ${text}${this.result(c.call.step, c.res.ret, c.res.data)}${suffix}`);
  }

  after(out: StepOut) {
    const st = this.st();
    for (const x of out.completions) {
      const call = this.pending.get(x.proc);
      if (call === undefined) continue;
      this.pending.delete(x.proc);
      this.lines.push(`${this.name(x.proc)}: <... ${call.name} resumed>${this.result(call, x.ret, undefined)}`);
    }
    for (const i of out.deaths) {
      const p = this.m.proc(st, i);
      if (p === null) continue;
      this.pending.delete(i);
      const how = p.state === PState.Killed ? `killed by ${signalName(p.code)}` : `exited with ${p.code}`;
      this.lines.push(`${this.name(i)}: +++ ${how} +++`);
    }
    const bySig = new Map<number, string[]>();
    for (const d of out.delivered) {
      const seen = bySig.get(d.proc) ?? [];
      const text = formatSigInfo(d.sig, []);
      if (!seen.includes(text)) seen.push(text);
      bySig.set(d.proc, seen);
    }
    for (const [i, sigs] of bySig) this.lines.push(`${this.name(i)}: --- ${sigs.join(", ")} ---`);
  }
}

/** Notes for the moves that make no call of their own, or whose call is not a program step. */
function moveNote(m: Machine, before: MState, mv: Move): string {
  switch (mv.k) {
    case "any": return `@any, line ${m.c.anys[mv.i]!.line}`;
    case "handler": case "react": {
      const h = before.hrun[mv.i]! >= 0 ? before.hrun[mv.i]! : before.hq[mv.i]![0]!;
      const d = m.c.handlers[h]!;
      return `${m.c.procs[mv.i]!.name}'s ${signalName(d.sig)} handler (@on, line ${d.line})`;
    }
    default: return "";
  }
}

/**
 * The run as a scenario script for `daxlease run --policy POLICY`: every step with its actual
 * result, and a comment where the property failed (at the last step, or in the state the run
 * ends in). With `explain`, under each step what it changed.
 */
export function writeScript(m: Machine, trace: TraceStep[], name: string, property: string, detail: string, explain = false): string {
  const sc = m.c.sc;
  let cur = m.boot();
  const w = new Writer(m, () => cur);
  const lines = header(sc, name);
  lines.push(`@policy ${m.pol.spec}`, EXPECTS, "");
  lines.push(`# The shortest run that breaks ${property}, found by daxlease check in ${sc.file} under ${m.pol.spec}.`);
  for (const t of trace) {
    cur = t.after;
    writeMove(m, w, t);
    if (explain) w.lines.push(...explainStep(m, t));
  }
  lines.push(...w.lines);
  lines.push(`# ^ ${property} fails here: ${detail}`);
  const text = lines.join("\n") + "\n";
  // The run may break other properties on its way: the script says so, so that run passes it.
  const failing = new Set([property]);
  for (const v of runOnModel(parseScenario(text.replace(EXPECTS, ""), `${name}.scn`), m.pol.spec).report.violations ?? []) failing.add(v.property);
  return text.replace(EXPECTS, PROPERTIES.filter((p) => failing.has(p)).map((p) => `@expect ${p} fails`).join("\n"));
}

/** Where the script's @expect lines go, once the run has said which properties it breaks. */
const EXPECTS = "@expect <to be filled>";

function writeMove(m: Machine, w: Writer, t: TraceStep) {
  const mv = t.move;
  if (mv.k === "tick") {
    w.lines.push(`sleep ${t.out.elapsed}ms    # time runs out`);
    w.after(t.out);
    return;
  }
  if (mv.k === "skip") {
    const call = m.c.programs[mv.i]![t.before.pc[mv.i]!]!;
    w.lines.push(`# ${mv.i === m.nic ? "NIC" : m.c.procs[mv.i]!.name} skips its optional ${call.step.text} (line ${call.step.line})`);
    return;
  }
  if (mv.k === "ignore") {
    const h = m.c.handlers[t.before.hq[mv.i]![0]!]!;
    w.lines.push(`# ${m.c.procs[mv.i]!.name} ignores ${signalName(h.sig)} (@on ${m.c.procs[mv.i]!.name}?, line ${h.line})`);
    return;
  }
  if (t.out.call !== null) w.call(t.out.call, moveNote(m, t.before, mv));
  else if (mv.k === "react") w.lines.push(`# ${moveNote(m, t.before, mv)}: no calls`);
  w.after(t.out);
}

// ---- --explain ----

/** What a state is, as lines an admin would recognise; a step's change is the lines that differ. */
export function describe(m: Machine, st: MState): string[] {
  const k = st.k;
  const out: string[] = [];
  const fileName = (id: number): string => {
    const f = k.files[id];
    if (f === null || f === undefined) return "?";
    return f.kind === FK_INODE ? k.inodes[f.ino]!.path : k.inodes[f.ino]?.path ?? "?";
  };
  for (const p of k.procs) {
    const state = p.state === PState.Exited ? `exited with ${p.code}` : p.state === PState.Killed ? `killed by ${signalName(p.code)}`
      : p.wait !== null ? `asleep in ${p.wait.call || "its call"} (${p.wait.kind}${p.wait.wake >= 0 ? `, times out in ${p.wait.wake - k.now} ms` : ", no timeout"})` : "running";
    out.push(`${p.name}: ${state}`);
    procFds(k, p).forEach((id, fd) => { if (id >= 0 && fd > 2) out.push(`${p.name} fd ${fd}: ${fileName(id)}`); });
    for (const v of p.vmas) out.push(`${p.name} maps 0x${v.start.toString(16)}-0x${v.end.toString(16)}: ${v.file >= 0 ? fileName(v.file) : "anonymous"}`);
  }
  for (const inode of k.inodes) {
    if (inode === null) continue;
    for (const l of inode.leases) {
      const holder = k.procs.find((p) => p.pid === l.pid)?.name ?? String(l.pid);
      const kind = l.kind & 4 ? (l.kind & 8 ? "F_LAYOUT|F_EXCLUSIVE" : "F_LAYOUT") : l.type === 1 ? "F_WRLCK" : "F_RDLCK";
      out.push(`lease on ${inode.path}: ${kind} by ${holder}${l.flags !== 0 ? " (breaking)" : ""}${l.pins > 0 ? `, ${l.pins} pins under it` : ""}`);
    }
  }
  for (const ps of k.pinsets) {
    if (ps === null) continue;
    const who = k.procs.find((p) => p.pid === ps.pid)?.name ?? String(ps.pid);
    const what = ps.kind === "mr" ? `MR ${ps.id}` : "io_uring buffer";
    out.push(`${what} of ${who}: ${ps.dead ? "revoked" : ps.odp ? "on demand, no pins" : `${ps.pinned.length / 4} pages of ${[...new Set(ps.files)].join(", ")} pinned`}`);
  }
  k.mounts.forEach((mt) => {
    mt.owner.forEach((o, b) => {
      const pins = mt.pins[b] ?? 0;
      const owner = o < 0 ? "free" : k.inodes[o]?.path ?? `inode ${o}`;
      out.push(`${mt.path} block ${b}: ${owner}${pins > 0 ? `, pinned ${pins}x` : ""}`);
    });
  });
  void m;
  return out;
}

export function explainStep(m: Machine, t: TraceStep): string[] {
  const a = new Set(describe(m, t.before)), b = new Set(describe(m, t.after));
  const out: string[] = [];
  for (const x of b) if (!a.has(x)) out.push(`#   + ${x}`);
  for (const x of a) if (!b.has(x)) out.push(`#   - ${x}`);
  return out;
}

// ---- --mermaid ----

/** The run as a Mermaid sequence diagram: processes, the NIC and the kernel as lifelines. */
export function mermaid(m: Machine, trace: TraceStep[], property: string, detail: string): string {
  const out = ["sequenceDiagram"];
  const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, "_");
  for (const p of m.c.procs) out.push(`  participant ${id(p.name)} as ${p.name}`);
  out.push("  participant NIC", "  participant K as kernel");
  const esc = (s: string) => s.replace(/[;#]/g, " ").replace(/"/g, "'");
  const nameOf = (pid: number) => m.c.procs[m.procIndex(pid)]?.name ?? String(pid);
  for (const t of trace) {
    if (t.move.k === "tick") { out.push(`  Note over K: time runs out (${t.out.elapsed} ms)`); continue; }
    if (t.move.k === "skip" || t.move.k === "ignore") continue;
    const c = t.out.call;
    if (c !== null) {
      const who = c.prog === m.nic ? "NIC" : id(m.c.procs[c.prog]!.name);
      out.push(`  ${who}->>K: ${esc(c.call.step.text)}`);
      const r = c.res.ret === BLOCKED ? "sleeps" : c.res.ret === DIED ? "never returns" : fmtResult(c.call.step.name, c.call.step.args, c.res.ret, nameOf);
      out.push(`  K-->>${who}: ${esc(r)}`);
    }
    for (const x of t.out.completions) out.push(`  K-->>${id(m.c.procs[x.proc]!.name)}: ${x.ret === DIED ? "dies in its call" : `returns ${x.ret < 0 ? fmtErrno(-x.ret) : x.ret}`}`);
    for (const d of t.out.delivered) out.push(`  K-)${id(m.c.procs[d.proc]!.name)}: ${signalName(d.sig.signo)}`);
    for (const i of t.out.deaths) out.push(`  Note over ${id(m.c.procs[i]!.name)}: dies`);
  }
  out.push(`  Note over K: ${esc(property)} fails: ${esc(detail)}`);
  return out.join("\n") + "\n";
}
