// Parser for `.scn` scripts: directives, then steps in strace notation.
import type { Arg, CallStep, Expect, FileDecl, MountDecl, ProcDecl, Scenario, SigExpect, FsType, DaxMode } from "./ast.js";
import { ScriptError } from "./error.js";
import { commentStart, lexArgs, LexError, closingParen, readString, rawOffsetOfByte } from "./lex.js";
import { pathProblem } from "./paths.js";
import { checkCall, CALLS } from "./calls.js";
import { canonicalErrno } from "../kernel/include/errno.js";
import { signalByName, isStopSignal, SIGKILL } from "../kernel/include/signal_names.js";
import { PROPERTIES } from "../props/names.js";
import { parsePolicy } from "../policy/registry.js";
import { CAP_NAMES } from "../kernel/include/caps.js";
import * as U from "../kernel/include/uapi.js";

const NAME_RE = /^[A-Za-z][A-Za-z0-9_]*$/;
export const RESERVED_PROCS = new Set(["NIC"]);
const KNOWN_CAPS = new Set(CAP_NAMES);
export const ALL_CAPS = [...KNOWN_CAPS];

class Parser {
  private sc: Scenario;
  private procs = new Set<string>();
  /** Process name -> the call it is blocked in (written with `...`). */
  private pending = new Map<string, string>();
  /** Process name -> that blocked call's step, whose result its `<... resumed>` line gives. */
  private pendingStep = new Map<string, CallStep>();
  /** `$names` bound by a step so far (`= $name`). */
  private bound = new Set<string>();
  private lastCat: CallStep | null = null;
  private line = 0;

  constructor(private file: string) {
    this.sc = { file, name: "", leaseBreakTime: null, leasesEnable: null, mounts: [], files: [], procs: [], forks: {}, steps: [], expects: [], policy: "linux", handlers: [], anys: [], bound: { states: null, depth: null } };
  }

  err(col: number, msg: string): never {
    throw new ScriptError(this.file, this.line, col, msg);
  }

  /**
   * Three passes, so that directives may stand anywhere: the declarations first, then the
   * steps (which make the children of forks), then @on and @any (which may name them).
   */
  parse(text: string): Scenario {
    const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
    for (const pass of [0, 1, 2] as const) {
      this.pass = pass;
      for (let n = 0; n < lines.length; n++) {
        this.line = n + 1;
        this.parseLine(lines[n]!);
      }
      if (pass === 0 && this.sc.name === "") {
        this.line = 1;
        this.err(1, "missing @scenario");
      }
    }
    return this.sc;
  }

  private pass: 0 | 1 | 2 = 0;

  private parseLine(raw: string) {
    const lead = raw.length - raw.trimStart().length;
    const c = commentStart(raw);
    const s = (c < 0 ? raw : raw.slice(0, c)).trimEnd();
    const body = s.trimStart();
    const col = lead + 1;
    const isDirective = body.startsWith("@");
    if (this.pass === 0) {
      if (isDirective && !/^@(on|any)\b/.test(body)) this.directive(body, col);
      else if (body !== "" && this.sc.name === "" && !raw.trimStart().startsWith(">")) this.err(col, "the first directive must be @scenario");
      return;
    }
    if (this.pass === 2) {
      if (/^@(on|any)\b/.test(body)) this.directive(body, col);
      return;
    }
    if (raw.trimStart().startsWith(">")) return this.catLine(raw.trimStart(), lead + 1);
    this.lastCat = null;
    if (body === "" || isDirective) return;
    if (/^sleep\b/.test(body)) return this.sleep(body, col);
    const m = /^([A-Za-z][A-Za-z0-9_]*)(\?)?\s*:\s*/.exec(body);
    if (!m) this.err(col, "expected a directive, `sleep`, or `NAME: call`");
    const proc = m[1]!;
    if (!this.procs.has(proc) && proc !== "NIC") this.err(col, `unknown process ${proc} (declare it with @proc or create it with fork)`);
    this.stepFor(proc, body.slice(m[0].length), col + m[0].length, m[2] === "?");
  }

  private catLine(body: string, col: number) {
    const step = this.lastCat;
    if (step === null) this.err(col, "a `>` line must follow a cat(...), lsof(...) or rdma(...) step");
    const rest = body.slice(1);
    if (step.lines === null) step.lines = [];
    if (rest.trim() === "") {
      if (step.lines.length > 0) this.err(col, "a lone `>` expects no lines, and cannot follow other `>` lines");
      (step as { loneEmpty?: boolean }).loneEmpty = true;
      return;
    }
    if ((step as { loneEmpty?: boolean }).loneEmpty) this.err(col, "a lone `>` expects no lines, and cannot be followed by more");
    step.lines.push(rest.replace(/^ /, "").trim().replace(/\s+/g, " "));
  }

  private directive(body: string, col: number) {
    const m = /^@([a-z]+)\b\s*/.exec(body);
    if (!m) this.err(col, "bad directive");
    const name = m[1]!;
    if (name !== "scenario" && this.sc.name === "") this.err(col, "the first directive must be @scenario");
    const rest = body.slice(m[0].length);
    const restCol = col + m[0].length;
    switch (name) {
      case "scenario":
        if (this.sc.name !== "") this.err(col, "a second @scenario");
        if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(rest.trim())) this.err(restCol, "@scenario needs a name of letters, digits, . _ -");
        this.sc.name = rest.trim();
        return;
      case "sysctl":
        return this.sysctl(rest, restCol);
      case "fs":
        return this.fs(rest, restCol);
      case "file":
        return this.fileDecl(rest, restCol);
      case "proc":
        return this.procDecl(rest, restCol);
      case "expect":
        return this.expectDecl(rest, restCol);
      case "policy": {
        const p = parsePolicy(rest.trim());
        if (typeof p === "string") this.err(restCol, p);
        this.sc.policy = rest.trim();
        return;
      }
      case "on":
        return this.onDecl(rest, restCol);
      case "any":
        return this.anyDecl(rest, restCol);
      case "bound":
        return this.boundDecl(rest, restCol);
      default:
        this.err(col, `unknown directive @${name}`);
    }
  }

  /** `word key=value key=value`; returns the word and the options with their columns. */
  private words(rest: string, col: number): { head: string; opts: Map<string, { v: string; col: number }> } {
    const opts = new Map<string, { v: string; col: number }>();
    const re = /\S+/g;
    let head = "";
    let m: RegExpExecArray | null;
    while ((m = re.exec(rest)) !== null) {
      const c = col + m.index;
      if (head === "") { head = m[0]; continue; }
      const eq = m[0].indexOf("=");
      if (eq <= 0) this.err(c, `expected key=value, found ${m[0]}`);
      const k = m[0].slice(0, eq);
      if (opts.has(k)) this.err(c, `${k}= given twice`);
      opts.set(k, { v: m[0].slice(eq + 1), col: c + eq + 1 });
    }
    if (head === "") this.err(col, "missing argument");
    return { head, opts };
  }

  private int(o: { v: string; col: number } | undefined, dflt: number, what: string, octal = false): number {
    if (o === undefined) return dflt;
    const v = octal ? (/^0?[0-7]+$/.test(o.v) ? parseInt(o.v, 8) : NaN) : /^\d+$/.test(o.v) ? Number(o.v) : NaN;
    if (!Number.isSafeInteger(v)) this.err(o.col, `${what} must be ${octal ? "an octal" : "a decimal"} number`);
    return v;
  }

  private size(o: { v: string; col: number } | undefined, dflt: number): number {
    if (o === undefined) return dflt;
    const m = /^(\d+)([KMG]?)$/.exec(o.v);
    if (!m) this.err(o.col, "a size is a number with an optional K, M or G");
    const mult = m[2] === "K" ? 1024 : m[2] === "M" ? 1 << 20 : m[2] === "G" ? 1 << 30 : 1;
    return Number(m[1]) * mult;
  }

  private noOthers(opts: Map<string, { v: string; col: number }>, allowed: string[]) {
    for (const [k, o] of opts) if (!allowed.includes(k)) this.err(o.col - k.length - 1, `unknown option ${k}=`);
  }

  private sysctl(rest: string, col: number) {
    const m = /^(fs\.lease-break-time|fs\.leases-enable)=(-?\d+)\s*$/.exec(rest.trim());
    if (!m) this.err(col, "@sysctl takes fs.lease-break-time=N or fs.leases-enable=0|1");
    const v = Number(m[2]);
    if (m[1] === "fs.lease-break-time") this.sc.leaseBreakTime = v;
    else this.sc.leasesEnable = v;
  }

  private fs(rest: string, col: number) {
    const { head, opts } = this.words(rest, col);
    this.noOthers(opts, ["type", "dax", "size", "bsize"]);
    if (!/^\/[A-Za-z0-9._/-]*[^/]$/.test(head)) this.err(col, "a mount point is an absolute path");
    if (head.startsWith("/proc") || head.startsWith("/dev")) this.err(col, `${head} is reserved`);
    for (const mt of this.sc.mounts)
      if (mt.path === head || head.startsWith(mt.path + "/") || mt.path.startsWith(head + "/"))
        this.err(col, `${head} overlaps the mount ${mt.path}`);
    const type = opts.get("type");
    if (!type || !["ext4", "xfs", "tmpfs"].includes(type.v)) this.err(type?.col ?? col, "type= is ext4, xfs or tmpfs");
    const dax = opts.get("dax");
    const daxv = dax?.v ?? "never";
    if (!["always", "never", "inode"].includes(daxv)) this.err(dax!.col, "dax= is always, never or inode");
    if (type.v === "tmpfs" && daxv !== "never") this.err(dax!.col, "tmpfs has no DAX");
    const bsize = this.int(opts.get("bsize"), 4096, "bsize");
    if (![1024, 2048, 4096].includes(bsize)) this.err(opts.get("bsize")!.col, "bsize= is 1024, 2048 or 4096");
    if (daxv !== "never" && bsize !== 4096) this.err(opts.get("bsize")!.col, "DAX needs a block size equal to the page size (4096)");
    const size = this.size(opts.get("size"), 64 << 20);
    if (size < bsize * 16 || size % bsize !== 0) this.err(opts.get("size")!.col, "size= must be a multiple of the block size, at least 16 blocks");
    const d: MountDecl = { line: this.line, path: head, type: type.v as FsType, dax: daxv as DaxMode, size, blockSize: bsize };
    this.sc.mounts.push(d);
  }

  /** The mount that holds `path`, or an error. */
  private mountOf(path: string, col: number): MountDecl {
    for (const mt of this.sc.mounts) if (path === mt.path || path.startsWith(mt.path + "/")) return mt;
    this.err(col, `${path} is outside every @fs`);
  }

  private fileDecl(rest: string, col: number) {
    const { head, opts } = this.words(rest, col);
    this.noOthers(opts, ["size", "uid", "gid", "mode"]);
    const mt = this.mountOf(head, col);
    const name = head.slice(mt.path.length + 1);
    if (name === "" || name.includes("/")) this.err(col, "a @file lives directly in its mount's root directory");
    if (this.sc.files.some((f) => f.path === head)) this.err(col, `${head} declared twice`);
    const uid = this.int(opts.get("uid"), 0, "uid");
    const f: FileDecl = {
      line: this.line, path: head, size: this.size(opts.get("size"), 0), uid,
      gid: this.int(opts.get("gid"), uid, "gid"), mode: this.int(opts.get("mode"), 0o644, "mode", true),
    };
    if (f.mode > 0o7777) this.err(opts.get("mode")!.col, "mode is at most 07777");
    const used = this.sc.files.filter((x) => x.path.startsWith(mt.path + "/")).reduce((n, x) => n + Math.ceil(x.size / mt.blockSize), 0);
    if ((used + Math.ceil(f.size / mt.blockSize)) * mt.blockSize > mt.size)
      this.err(opts.get("size")?.col ?? col, `the files of ${mt.path} do not fit its size=${mt.size}`);
    this.sc.files.push(f);
  }

  private procDecl(rest: string, col: number) {
    const { head, opts } = this.words(rest, col);
    this.noOthers(opts, ["uid", "gid", "caps", "sig"]);
    if (!NAME_RE.test(head)) this.err(col, "a process name is a letter followed by letters, digits or _");
    if (RESERVED_PROCS.has(head)) this.err(col, `${head} is a reserved process name`);
    if (this.procs.has(head)) this.err(col, `process ${head} declared twice`);
    const uid = this.int(opts.get("uid"), 0, "uid");
    const gid = this.int(opts.get("gid"), uid, "gid");
    let caps: string[] = uid === 0 ? [...ALL_CAPS] : [];
    const c = opts.get("caps");
    if (c !== undefined) {
      caps = c.v === "none" ? [] : c.v.split(",");
      for (const cap of caps) if (!KNOWN_CAPS.has(cap)) this.err(c.col, `unknown capability ${cap}`);
    }
    const sig = opts.get("sig");
    if (sig !== undefined && sig.v !== "default") this.err(sig.col, "sig= takes only default");
    const p: ProcDecl = { line: this.line, name: head, uid, gid, caps, sigDefault: sig !== undefined };
    this.sc.procs.push(p);
    this.procs.add(head);
  }

  /** `@expect all hold`, `@expect PROPERTY fails`, `@expect PROPERTY holds`. */
  private expectDecl(rest: string, col: number) {
    const t = rest.trim().split(/\s+/);
    if (t.length === 2 && t[0] === "all" && t[1] === "hold") {
      for (const p of PROPERTIES) this.setExpect(p, true, col);
      return;
    }
    if (t.length !== 2 || !(PROPERTIES as readonly string[]).includes(t[0]!) || (t[1] !== "fails" && t[1] !== "holds"))
      this.err(col, `@expect takes "all hold" or PROPERTY fails|holds, with PROPERTY one of ${PROPERTIES.join(", ")}`);
    this.setExpect(t[0]!, t[1] === "holds", col);
  }

  private setExpect(property: string, holds: boolean, col: number) {
    const prev = this.sc.expects.find((e) => e.property === property);
    if (prev !== undefined && prev.holds !== holds) this.err(col, `@expect contradicts line ${prev.line} about ${property}`);
    if (prev === undefined) this.sc.expects.push({ line: this.line, property, holds });
  }

  private sleep(body: string, col: number) {
    const m = /^sleep\s+(\d+(?:\.\d+)?)(s|ms)\s*$/.exec(body);
    if (!m) this.err(col, "sleep takes a duration such as 1.5s or 200ms");
    const ms = Number(m[1]) * (m[2] === "s" ? 1000 : 1);
    if (!Number.isInteger(ms)) this.err(col, "sleep is counted in whole milliseconds");
    this.sc.steps.push({ k: "sleep", line: this.line, col, text: body, ms });
  }

  private stepFor(proc: string, rest: string, col: number, optional: boolean) {
    const text = rest;
    if (proc === "NIC" && !/^[a-z_]+\(/.test(rest)) this.err(col, "the NIC makes only rdma_write and rdma_read");
    if (optional && !/^[a-z_][a-z_0-9]*\(/.test(rest)) this.err(col - 2, "only a call may be optional (NAME?: call)");
    if (rest.startsWith("---")) return this.sigLine(proc, rest, col);
    if (rest.startsWith("+++")) {
      const m = /^\+\+\+\s+(killed by (SIG[A-Z0-9+]+)|exited with (\d+)|running)\s+\+\+\+$/.exec(rest);
      if (!m) this.err(col, "expected +++ killed by SIGNAL +++, +++ exited with N +++ or +++ running +++");
      if (m[2] !== undefined && signalByName(m[2]) === null) this.err(col, `unknown signal ${m[2]}`);
      this.sc.steps.push({ k: "status", line: this.line, col, text, proc, expect: m[1]! });
      return;
    }
    if (rest.startsWith("<...")) {
      const m = /^<\.\.\.\s+([a-z_0-9]+)\s+resumed>\s*(.*)$/.exec(rest);
      if (!m) this.err(col, "expected <... CALL resumed>");
      const want = this.pending.get(proc);
      if (want === undefined) this.err(col, `${proc} has no call written with ... to resume`);
      if (want !== m[1]) this.err(col, `${proc} is blocked in ${want}, not ${m[1]}`);
      this.pending.delete(proc);
      const call = this.pendingStep.get(proc)!;
      this.pendingStep.delete(proc);
      const expect = this.result(m[2]!, col + rest.length - m[2]!.length, false, call.name, call.args);
      if (expect?.k === "bind") this.bound.add(expect.name);
      this.sc.steps.push({ k: "resumed", line: this.line, col, text: `<... ${m[1]} resumed>`, proc, name: m[1]!, expect });
      return;
    }
    if (this.pending.has(proc) && /^[a-z_][a-z_0-9]*\(/.test(rest)) this.err(col, `${proc} makes a call while blocked in ${this.pending.get(proc)} (write <... ${this.pending.get(proc)} resumed> first)`);
    const step = this.call(proc, rest, col, true);
    if (optional) step.optional = true;
    if (step.expect?.k === "blocks") { this.pending.set(proc, step.name); this.pendingStep.set(proc, step); }
    if (step.expect?.k === "bind") this.bound.add(step.expect.name);
    if (step.name === "fork" || step.name === "clone") this.forkStep(proc, step.expect, col + step.text.length);
    this.sc.steps.push(step);
    if (step.name === "cat" || step.name === "lsof" || step.name === "rdma") this.lastCat = step;
  }

  /** A call and what follows it (nothing, `...` where `mayBlock`, or `= RESULT`), checked against the call table. */
  private call(proc: string, rest: string, col: number, mayBlock: boolean): CallStep {
    const m = /^([a-z_][a-z_0-9]*)\(/.exec(rest);
    if (!m) this.err(col, "expected a call such as open(...)");
    const name = m[1]!;
    if (CALLS[name] === undefined) this.err(col, `unknown call ${name}`);
    const open = m[0].length - 1;
    let close: number;
    try { close = closingParen(rest, open); } catch (e) { this.lexFail(e, col + open + 1); }
    if (close < 0) this.err(col + open, "unbalanced parentheses");
    let args: Arg[];
    try { args = lexArgs(rest.slice(open + 1, close), col + open + 1); } catch (e) { this.lexFail(e, col + open + 1); }
    if ((proc === "NIC") !== (CALLS[name]!.nic === true))
      this.err(col, proc === "NIC" ? "the NIC makes only rdma_write and rdma_read" : `${name} is made by the NIC: write NIC: ${name}(...)`);
    const chk = checkCall(name, args, this.procs);
    if (chk !== null) {
      const a = chk.arg >= 0 ? args[chk.arg]! : null;
      this.err(a === null ? col : a.col + (chk.at !== undefined ? Math.max(0, a.text.indexOf(chk.at)) : 0), chk.msg);
    }
    for (const a of args)
      if (a.k === "var" && !this.bound.has(a.v)) this.err(a.col, `$${a.v} is bound by no earlier step (a call binds it: ... = $${a.v})`);
    args.forEach((a, i) => {
      if (a.k !== "str" || CALLS[name]!.args[i] !== "path") return;
      // The kernel would end the path at its first NUL (strncpy_from_user): not the path written.
      const nul = a.v.indexOf("\0");
      if (nul >= 0) this.err(a.col + rawOffsetOfByte(a.text, nul), "a path cannot hold a NUL byte");
      // openat relative to a descriptor: the walk starts at that directory (a mount's root,
      // the one directory the model has), which the parser cannot know; `..` could leave it.
      if (name === "openat" && i === 1 && args[0]!.k === "num" && !a.v.startsWith("/")) {
        if (a.v.split("/").includes("..")) this.err(a.col, `${a.v} may lead outside every @fs: a path relative to a descriptor may not go up (..)`);
        return;
      }
      const why = pathProblem(this.sc.mounts, name, a.v);
      if (why !== null) this.err(a.col, why);
    });
    const tail = rest.slice(close + 1);
    const tailCol = col + close + 1;
    const expect = this.result(tail, tailCol, mayBlock, name, args);
    if (name === "exit" && expect !== null && !(expect.k === "value" && expect.text === "?")) this.err(tailCol, "exit returns nothing: write it without a result, or = ?");
    return { k: "call", line: this.line, col, text: rest.slice(0, close + 1), proc, name, args, expect, lines: null };
  }

  /** `@on A SIGIO: call; call` and `@on A? SIGIO: ...`: what A does when the signal is pending between two of its steps. */
  private onDecl(rest: string, col: number) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)(\?)?\s+(SIG[A-Z0-9]+(?:[+-]\d+)?)\s*:\s*/.exec(rest);
    if (!m) this.err(col, "@on takes PROC[?] SIGNAL: call; call ...");
    const proc = m[1]!;
    if (proc === "NIC" || !this.procs.has(proc)) this.err(col, proc === "NIC" ? "the NIC takes no signals" : `unknown process ${proc}`);
    const sig = signalByName(m[3]!);
    const sigCol = col + m[0].indexOf(m[3]!);
    if (sig === null) this.err(sigCol, `unknown signal ${m[3]}`);
    if (sig === SIGKILL || isStopSignal(sig)) this.err(sigCol, `${m[3]} cannot be caught`);
    if (this.sc.handlers.some((h) => h.proc === proc && h.sig === sig)) this.err(col, `${proc} has a handler for ${m[3]} already`);
    const calls = this.callList(proc, rest.slice(m[0].length), col + m[0].length);
    this.sc.handlers.push({ line: this.line, proc, sig, optional: m[2] === "?", calls });
  }

  /** `@any PROC: call max=N|inf`: the call may happen at any point where its `$` names are bound. */
  private anyDecl(rest: string, col: number) {
    const m = /^([A-Za-z][A-Za-z0-9_]*)\s*:\s*/.exec(rest);
    if (!m) this.err(col, "@any takes PROC: call [max=N|inf]");
    const proc = m[1]!;
    if (proc !== "NIC" && !this.procs.has(proc)) this.err(col, `unknown process ${proc} (declare it with @proc; the sysadmin is @proc ADMIN uid=0)`);
    let body = rest.slice(m[0].length);
    let max = 1;
    const mm = /\s+max=(\S+)\s*$/.exec(body);
    if (mm) {
      const v = mm[1]!;
      if (v === "inf") max = Infinity;
      else if (/^[1-9]\d*$/.test(v)) max = Number(v);
      else this.err(col + m[0].length + mm.index + mm[0].indexOf("=") + 1, "max= is a positive number or inf");
      body = body.slice(0, mm.index);
    }
    const calls = this.callList(proc, body, col + m[0].length);
    if (calls.length !== 1) this.err(col + m[0].length, "@any takes one call");
    this.sc.anys.push({ line: this.line, proc, call: calls[0]!, max });
  }

  /** Calls separated by `;` (outside strings and parentheses), for @on and @any. */
  private callList(proc: string, body: string, col: number): CallStep[] {
    const out: CallStep[] = [];
    let depth = 0, inStr = false, start = 0;
    const flush = (end: number) => {
      const part = body.slice(start, end);
      const lead = part.length - part.trimStart().length;
      if (part.trim() === "") this.err(col + start, "expected a call");
      const c = this.call(proc, part.trim(), col + start + lead, false);
      if (c.name === "fork" || c.name === "clone") this.err(col + start + lead, "fork and clone name a process once: it cannot be a handler's or an @any call");
      out.push(c);
      start = end + 1;
    };
    for (let i = 0; i < body.length; i++) {
      const ch = body[i];
      if (inStr) { if (ch === "\\") i++; else if (ch === '"') inStr = false; continue; }
      if (ch === '"') inStr = true;
      else if (ch === "(") depth++;
      else if (ch === ")") depth--;
      else if (ch === ";" && depth === 0) flush(i);
    }
    if (body.trim() !== "" || out.length === 0) flush(body.length);
    return out;
  }

  /** `@bound states=N depth=N`. */
  private boundDecl(rest: string, col: number) {
    const { opts } = this.words("bound " + rest, col - 6);
    this.noOthers(opts, ["states", "depth"]);
    for (const k of ["states", "depth"] as const) {
      const o = opts.get(k);
      if (o !== undefined) this.sc.bound[k] = this.int(o, 0, k);
    }
  }

  private forkStep(parent: string, expect: Expect | null, col: number) {
    if (expect === null || expect.k !== "value" || !NAME_RE.test(expect.text))
      this.err(col, "fork() names its child: fork() = B");
    const child = expect.text;
    if (this.procs.has(child) || RESERVED_PROCS.has(child)) this.err(col, `process ${child} exists already`);
    this.procs.add(child);
    this.sc.forks[child] = parent;
  }

  private lexFail(e: unknown, base: number): never {
    if (e instanceof LexError) this.err(base + e.offset, e.message);
    throw e;
  }

  /** Parses what follows a call's `)`: nothing, `...`, or `= RESULT` that call `name` can return. */
  private result(tail: string, col: number, mayBlock: boolean, name: string, args: Arg[]): Expect | null {
    const t = tail.trim();
    if (t === "") return null;
    if (t === "...") {
      if (!mayBlock) this.err(col, "a resumed call cannot block again");
      return { k: "blocks" };
    }
    if (!t.startsWith("=")) this.err(col + tail.indexOf(t[0]!), "expected = RESULT or ...");
    const r = t.slice(1).trim();
    const eq = tail.indexOf("=");
    const after = tail.slice(eq + 1);
    const rcol = col + eq + 1 + (after.length - after.trimStart().length);
    if (r === "") this.err(rcol, "missing result after =");
    if (r === "?") return { k: "value", text: "?" };
    const em = /^-1\s+([A-Z][A-Z0-9]*)(\s+\(.*\))?$/.exec(r);
    if (em) {
      const canon = canonicalErrno(em[1]!);
      if (canon === null) this.err(rcol, `unknown errno ${em[1]}`);
      return { k: "value", text: `-1 ${canon}` };
    }
    if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(r)) return { k: "bind", name: r.slice(1) };
    if (r.startsWith('"')) {
      if (name !== "rdma_read") this.err(rcol, `${name} does not return a string (only rdma_read does)`);
      try {
        const { end } = readString(r, 0);
        if (end !== r.length) this.err(rcol, "junk after the string");
      } catch (e) { this.lexFail(e, rcol); }
      return { k: "value", text: r };
    }
    if (/^-?(\d+|0x[0-9a-fA-F]+)(\s+\(.*\))?$/.test(r)) return { k: "value", text: r.replace(/\s+/g, " ") };
    if (/^[A-Za-z_][A-Za-z0-9_]*([+-]\d+)?(\|[A-Za-z_][A-Za-z0-9_]*)*$/.test(r)) {
      const why = this.symbolicResult(name, args, r);
      if (why !== null) this.err(rcol, why);
      return { k: "value", text: r };
    }
    this.err(rcol, `cannot read the result ${r}`);
  }

  /** Why `name(args)` can never return the word `r` (notation.ts's fmtResult writes these), or null. */
  private symbolicResult(name: string, args: Arg[], r: string): string | null {
    if (name === "fork" || name === "clone") return null; // the child's name, checked by forkStep
    if (name === "ibv_get_async_event") return U.IBV_EVENTS[r] !== undefined ? null : `ibv_get_async_event returns an IBV_EVENT_ name, not ${r}`;
    const cmd = name === "fcntl" && args[1]?.k === "sym" ? String(args[1].v[0]) : null;
    const what = cmd === null ? name : `fcntl ${cmd}`;
    switch (cmd) {
      case "F_GETLEASE":
      case "F_GETLAYOUT":
        return r.split("|").every((t) => U.LEASE_TYPES[t] !== undefined) ? null : `${what} returns F_RDLCK, F_WRLCK, F_UNLCK or F_LAYOUT, not ${r}`;
      case "F_GETSIG":
        return signalByName(r) !== null ? null : `${what} returns 0 or a signal name, not ${r}`;
      case "F_GETOWN":
        return this.procs.has(r) ? null : `${what} returns 0 or a process name, not ${r}`;
    }
    return `${what} returns a number, -1 ERRNO, $name or ?, not ${r}`;
  }

  private sigLine(proc: string, rest: string, col: number) {
    const m = /^---\s+(.*?)\s+---$/.exec(rest);
    if (!m) this.err(col, "expected --- SIGNAL ---");
    const body = m[1]!;
    if (body === "none") {
      this.sc.steps.push({ k: "signals", line: this.line, col, text: rest, proc, expect: "none" });
      return;
    }
    const out: SigExpect[] = [];
    const re = /\s*(SIG[A-Z0-9]+(?:[+-]\d+)?)(?:\s*\{([^}]*)\})?\s*(,|$)/y;
    let i = 0;
    while (i < body.length) {
      re.lastIndex = i;
      const s = re.exec(body);
      if (!s) this.err(col + 4 + i, "expected SIGNAL or SIGNAL {field=value, ...}");
      const sig = signalByName(s[1]!);
      if (sig === null) this.err(col + 4 + i, `unknown signal ${s[1]}`);
      if (isStopSignal(sig)) this.err(col + 4 + i, "stopped processes are not modelled");
      const fields: string[] = [];
      const parts: string[] = [];
      if (s[2] !== undefined) {
        for (const f of s[2].split(",")) {
          const fm = /^\s*(si_code|si_fd|si_band|si_signo)=([A-Za-z0-9_x-]+)\s*$/.exec(f);
          if (!fm) this.err(col + 4 + i, `bad siginfo field ${f.trim()} (si_code, si_fd, si_band)`);
          fields.push(fm[1]!);
          parts.push(`${fm[1]}=${fm[2]}`);
        }
      }
      out.push({ sig: s[1]!, fields, text: parts.length ? `${s[1]} {${parts.join(", ")}}` : s[1]! });
      i = re.lastIndex;
      if (s[3] === "") break;
    }
    this.sc.steps.push({ k: "signals", line: this.line, col, text: rest, proc, expect: out });
  }
}

export function parseScenario(text: string, file: string): Scenario {
  return new Parser(file).parse(text);
}
