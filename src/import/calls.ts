// One call of the log -> the steps of the script that stand for it (or why none does).
// Descriptors are the script's (renumbered), addresses `$` names, pids process names.
import type { Rec } from "./records.js";
import { cloneFlags, isClone, CLONE_THREAD } from "./records.js";
import { splitArgs, stripFdPath, num, str, fields, elements, symbolic, type Piece } from "./args.js";
import { FdTable, Mm, normPath, type Fd, type PInfo } from "./tables.js";
import { DEVICES } from "./mounts.js";
import { openFlags, tableFlags, fcntlCmd, leaseArg, signalArg, errnoResult, signalOf } from "./values.js";
import { quoteBytes } from "../scenario/lex.js";
import { fmtGetfl, fmtLeaseType } from "../scenario/notation.js";
import * as U from "../kernel/include/uapi.js";

export interface Step {
  /** The call as the script writes it, without its result. */
  text: string;
  /** The expectation (`3`, `-1 EAGAIN`, `$m1`, `?`, `...`), null for none. */
  result: string | null;
  /** For the summary's count (default: the log's call name). */
  name?: string;
  /** Can this call wait in the model (a lease break, a layout wait)? */
  mayWait?: boolean;
  /** Processes this step names (kill, F_SETOWN): they must be in the script. */
  uses?: PInfo[];
  note?: string;
}

export type Conv = { k: "noise" } | { k: "drop"; why: string } | { k: "steps"; steps: Step[] };

export interface Ctx {
  readonly byPid: Map<number, PInfo>;
  readonly anonUsed: Set<number>;
  readonly notes: Set<string>;
  /** `path`: normalised (what the file is); `written`: as the program wrote it, renamed (what the step passes). */
  path(raw: string, cwd: string | null): { path: string; written: string } | { refused: string } | null;
  tableOf(p: PInfo): FdTable;
  mmOf(p: PInfo): Mm;
  newVar(): string;
  file(path: string): { existed: boolean | null; size: number | null; sizeWhy: string; lower: number; mode: number | null; uid: number | null; changed: boolean };
  ref(line?: number): string;
  /** Does this process die before its next call (a restarted call it never got back to)? */
  diesAfter(r: Rec): boolean;
  /** A fork's child: decided now whether the script forks it (it shares descriptors or mappings) or declares it. */
  birth(child: PInfo): void;
}

const NOISE: Conv = { k: "noise" };
const drop = (why: string): Conv => ({ k: "drop", why });
const one = (s: Step): Conv => ({ k: "steps", steps: [s] });

const STAT = new Set(["fstat", "newfstatat", "fstatat64", "stat", "lstat", "statx"]);
const SLEEPS = new Set(["nanosleep", "clock_nanosleep"]);
const MAP_DROPPABLE = new Set(["MAP_DENYWRITE", "MAP_NORESERVE", "MAP_FILE"]);

export function convertCall(c: Ctx, p: PInfo, r: Rec): Conv {
  const a = splitArgs(r.args, r.argCol);
  const cv = new Conv1(c, p, r, a);
  return cv.run();
}

class Conv1 {
  constructor(private c: Ctx, private p: PInfo, private r: Rec, private a: Piece[]) {}

  private get fdt(): FdTable { return this.c.tableOf(this.p); }

  /** The result as a script expectation. ERESTART*: the model's processes take signals without SA_RESTART, so EINTR. */
  private res(value: (v: string) => string | null = (v) => v): string | null {
    const ret = this.r.ret;
    if (ret === null) return "...";
    if (ret.val === "?") {
      if (ret.errno !== null && ret.errno.startsWith("ERESTART")) {
        if (this.c.diesAfter(this.r)) return "?";
        this.c.notes.add("calls a signal interrupted (ERESTART*) fail with EINTR in the script: its processes catch signals without SA_RESTART");
        return "-1 EINTR";
      }
      return "?";
    }
    if (ret.errno !== null) {
      const e = errnoResult(ret.errno);
      if (e === null) this.c.notes.add(`${ret.errno} is an errno the model does not know: such results are not checked`);
      return e;
    }
    return value(ret.val);
  }

  private ok(): boolean {
    const ret = this.r.ret;
    return ret !== null && ret.errno === null && ret.val !== "?" && ret.val !== "-1";
  }

  private retNum(): number | null {
    return this.r.ret === null ? null : num(this.r.ret.val);
  }

  private arg(i: number): string {
    return this.a[i]?.text ?? "";
  }

  /** A descriptor argument: the script's, null when the script does not know it. */
  private fd(i: number): Fd | null {
    const n = num(stripFdPath(this.arg(i)).text);
    if (n === null) return null;
    return this.fdt.map.get(n) ?? null;
  }

  private str(i: number): string | null {
    const s = str(this.arg(i));
    return s === null ? null : s.v;
  }

  /** The working directory a path argument is relative to: AT_FDCWD's -y path, a directory fd's, or the process's. */
  private dirOf(i: number | null): string | null {
    if (i === null) return this.p.cwd;
    const { text, path } = stripFdPath(this.arg(i));
    if (path !== null) return path;
    if (/AT_FDCWD|^-100$|0xffffff9c/.test(text)) return this.p.cwd;
    return null;
  }

  run(): Conv {
    const n = this.r.name;
    if (isClone(n)) return this.clone();
    switch (n) {
      case "open": case "creat": return this.open(null, 0);
      case "openat": return this.open(0, 1);
      case "close": return this.close();
      case "close_range": return this.closeRange();
      case "dup": case "dup2": case "dup3": return this.dup();
      case "read": case "pread64": case "write": case "pwrite64": return this.rw();
      case "truncate": return this.truncate();
      case "ftruncate": case "fallocate": case "fsync": return this.fdCall();
      case "unlink": case "unlinkat": return this.unlink();
      case "rename": case "renameat": case "renameat2": return this.rename();
      case "mmap": return this.mmap();
      case "munmap": return this.munmap();
      case "fcntl": return this.fcntl();
      case "io_uring_setup": return this.uringSetup();
      case "io_uring_register": return this.uringRegister();
      case "kill": return this.kill();
      case "exit_group": return one({ text: `exit(${num(this.arg(0)) ?? 0})`, result: null, name: "exit" });
      case "exit": return this.p.threads.size === 1 ? one({ text: `exit(${num(this.arg(0)) ?? 0})`, result: null }) : NOISE;
      case "execve": case "execveat": return this.exec();
      case "chdir": {
        const s = this.str(0);
        if (this.ok() && s !== null) this.p.cwd = normPath(s, this.p.cwd);
        return NOISE;
      }
      case "fchdir": {
        const path = stripFdPath(this.arg(0)).path;
        if (this.ok()) this.p.cwd = path;
        return NOISE;
      }
      case "lseek": return this.lseek();
    }
    if (STAT.has(n)) return this.stat();
    if (SLEEPS.has(n)) return this.sleep();
    // A call the model does not have, on a descriptor the script knows: say so where it happened.
    const f = this.fd(0);
    if (f !== null && f.kind !== "proc") return drop(`the model has no ${n}`);
    return NOISE;
  }

  // ---- files ----

  private open(dirIdx: number | null, pathIdx: number): Conv {
    const raw = this.str(pathIdx);
    if (raw === null) return NOISE;
    if (raw === "/proc/locks" && this.ok()) {
      this.fdt.map.set(this.retNum()!, { m: -1, kind: "proc", path: raw, cloexec: false });
      return NOISE;
    }
    const cwd = this.dirOf(dirIdx);
    const pp = DEVICES.has(raw) ? { path: raw, written: raw } : this.c.path(raw, cwd);
    if (pp === null) return NOISE;
    if ("refused" in pp) return drop(pp.refused);
    const path = pp.path;
    const creat = this.r.name === "creat";
    const flags = creat ? "O_WRONLY|O_CREAT|O_TRUNC" : openFlags(this.arg(pathIdx + 1));
    const modeArg = creat ? this.arg(1) : this.arg(pathIdx + 2);
    const mode = modeArg === "" ? null : num(symbolic(modeArg));
    const hasCreat = /\bO_CREAT\b/.test(flags), excl = /\bO_EXCL\b/.test(flags);
    const steps: Step[] = [];
    const f = this.c.file(path);
    if (this.ok()) {
      const real = this.retNum()!;
      // The log reuses a number the script still has open: a close the log did not show (close_range, exec).
      const stale = this.fdt.remove(real);
      if (stale !== null && stale.m >= 0) steps.push({ text: `close(${stale.m})`, result: "0", name: "close", note: `fd ${real} was reused before the log closed it: the script closes it there` });
      const fd = this.fdt.add(real, { kind: DEVICES.has(path) ? "dev" : "file", path, cloexec: /\bO_CLOEXEC\b/.test(flags) });
      if (f.existed === null) f.existed = !hasCreat ? true : excl ? false : null;
      if (/\bO_TRUNC\b/.test(flags) && /O_WRONLY|O_RDWR/.test(flags)) f.changed = true;
      if (hasCreat && f.existed === null) { f.existed = false; this.c.notes.add(`${path} is opened with O_CREAT and the log does not show it existing before: the script lets the program make it (add @file if it existed)`); }
      steps.push(this.openStep(dirIdx !== null, pp.written, flags, hasCreat ? mode : null, String(fd.m)));
    } else {
      const e = this.r.ret?.errno;
      if (f.existed === null && e === "ENOENT" && !hasCreat) f.existed = false;
      if (f.existed === null && e !== undefined && e !== null && e !== "ENOENT" && !hasCreat) f.existed = true;
      steps.push(this.openStep(dirIdx !== null, pp.written, flags, hasCreat ? mode : null, this.res()));
    }
    return { k: "steps", steps };
  }

  private openStep(at: boolean, path: string, flags: string, mode: number | null, result: string | null): Step {
    const m = mode === null ? "" : `, 0${mode.toString(8)}`;
    const text = at ? `openat(AT_FDCWD, ${quoteBytes(path)}, ${flags}${m})` : `open(${quoteBytes(path)}, ${flags}${m})`;
    return { text, result, mayWait: !/\bO_NONBLOCK\b/.test(flags) };
  }

  private close(): Conv {
    const real = num(stripFdPath(this.arg(0)).text);
    if (real === null) return NOISE;
    const f = this.fdt.map.get(real);
    if (f === undefined) return NOISE;
    this.fdt.remove(real);
    if (f.kind === "proc") return NOISE;
    return one({ text: `close(${f.m})`, result: this.res(), mayWait: true });
  }

  private closeRange(): Conv {
    const lo = num(this.arg(0)), hi = num(this.arg(1));
    if (lo === null || hi === null || !this.ok()) return NOISE;
    const cloexec = /CLOSE_RANGE_CLOEXEC/.test(this.arg(2));
    const steps: Step[] = [];
    for (const [real, f] of [...this.fdt.map].sort((x, y) => x[0] - y[0])) {
      if (real < lo || real > (hi < 0 ? Infinity : hi)) continue;
      if (cloexec) { f.cloexec = true; continue; }
      this.fdt.remove(real);
      if (f.kind !== "proc") steps.push({ text: `close(${f.m})`, result: "0", name: "close", note: "close_range closes several descriptors: the script closes each" });
    }
    return steps.length ? { k: "steps", steps } : NOISE;
  }

  private dup(): Conv {
    const src = this.fd(0);
    const n = this.r.name;
    const target = n === "dup" ? null : num(stripFdPath(this.arg(1)).text);
    const before = target === null ? null : this.fdt.map.get(target) ?? null;
    if (src === null || src.kind === "proc") {
      // dup2 of something else over a descriptor the script knows closes it there.
      if (before !== null && this.ok()) {
        this.fdt.remove(target!);
        if (before.kind !== "proc") return one({ text: `close(${before.m})`, result: "0", name: "close", note: `${n} over a descriptor the script knows closes it: the script closes it there` });
      }
      return NOISE;
    }
    if (n === "dup") {
      if (!this.ok()) return one({ text: `dup(${src.m})`, result: this.res() });
      const f = this.fdt.add(this.retNum()!, { ...src, cloexec: false });
      return one({ text: `dup(${src.m})`, result: String(f.m) });
    }
    if (target === null) return NOISE;
    let m = before?.m ?? (this.fdt.used.has(target) || target >= 1000 ? this.fdt.lowest() : target);
    if (before === src) m = src.m;
    if (!this.ok()) return one({ text: `dup2(${src.m}, ${m})`, result: this.res() });
    if (before !== null && before !== src) this.fdt.remove(target);
    if (before !== src) this.fdt.add(target, { kind: src.kind, path: src.path, cloexec: n === "dup3" && /O_CLOEXEC/.test(this.arg(2)) }, m);
    return one({ text: `dup2(${src.m}, ${m})`, result: String(m), name: n, note: n === "dup3" ? "dup3 is written dup2 (close-on-exec is not modelled)" : undefined });
  }

  private rw(): Conv {
    const f = this.fd(0);
    if (f === null) return NOISE;
    const n = this.r.name;
    if (f.kind === "proc") {
      if (!n.startsWith("read") || (f as Fd & { catted?: boolean }).catted) return NOISE;
      (f as Fd & { catted?: boolean }).catted = true;
      this.c.notes.add("/proc/locks is read with cat(...); its lines are not checked (they name this machine's pids and inodes)");
      return one({ text: `cat("/proc/locks")`, result: null, name: "cat" });
    }
    const count = num(this.arg(2));
    if (count === null) return drop("the count is not a number");
    if (n === "read" || n === "pread64") {
      const off = n === "pread64" ? `, ${num(this.arg(3)) ?? this.arg(3)}` : "";
      if (n === "pread64" && this.ok() && f.kind === "file") {
        const o = num(this.arg(3));
        if (o !== null) this.lower(f.path, o + Number(this.retNum()), `pread at line ${this.r.line}`);
      }
      return one({ text: `${n === "read" ? "read" : "pread"}(${f.m}, "", ${count}${off})`, result: this.res() });
    }
    const s = str(this.arg(1));
    if (s === null) return drop("the bytes written are not in the log");
    if (count > 65536) return drop(`a write of ${count} bytes is too long for a script line`);
    let bytes = s.v.slice(0, count);
    if (bytes.length < count) {
      this.c.notes.add("bytes of a write strace cut short are written as zeros (trace with -s N to see them)");
      bytes = bytes + "\0".repeat(count - bytes.length);
    }
    if (this.ok() && f.kind === "file") this.c.file(f.path).changed = true;
    const off = n === "pwrite64" ? `, ${num(this.arg(3)) ?? this.arg(3)}` : "";
    return one({ text: `${n === "write" ? "write" : "pwrite"}(${f.m}, ${quoteBytes(bytes)}, ${count}${off})`, result: this.res() });
  }

  private lower(path: string, end: number, why: string) {
    const f = this.c.file(path);
    if (!f.changed && end > f.lower) { f.lower = end; f.sizeWhy = why; }
  }

  private truncate(): Conv {
    const raw = this.str(0);
    if (raw === null) return NOISE;
    const pp = this.c.path(raw, this.p.cwd);
    if (pp === null) return NOISE;
    if ("refused" in pp) return drop(pp.refused);
    const f = this.c.file(pp.path);
    if (f.existed === null) f.existed = this.ok() ? true : this.r.ret?.errno === "ENOENT" ? false : true;
    if (this.ok()) f.changed = true;
    return one({ text: `truncate(${quoteBytes(pp.written)}, ${num(this.arg(1)) ?? this.arg(1)})`, result: this.res(), mayWait: true });
  }

  private fdCall(): Conv {
    const f = this.fd(0);
    if (f === null || f.kind === "proc") return NOISE;
    const n = this.r.name;
    if (this.ok() && f.kind === "file" && n !== "fsync") this.c.file(f.path).changed = true;
    if (n === "fsync") return one({ text: `fsync(${f.m})`, result: this.res() });
    if (n === "ftruncate") return one({ text: `ftruncate(${f.m}, ${num(this.arg(1)) ?? this.arg(1)})`, result: this.res(), mayWait: true });
    const mode = tableFlags(this.arg(1), U.FALLOC_FLAGS, "0");
    return one({ text: `fallocate(${f.m}, ${mode}, ${num(this.arg(2)) ?? this.arg(2)}, ${num(this.arg(3)) ?? this.arg(3)})`, result: this.res(), mayWait: true });
  }

  private unlink(): Conv {
    const at = this.r.name === "unlinkat";
    const raw = this.str(at ? 1 : 0);
    if (raw === null) return NOISE;
    const pp = this.c.path(raw, this.dirOf(at ? 0 : null));
    if (pp === null) return NOISE;
    if ("refused" in pp) return drop(pp.refused);
    if (at && num(symbolic(this.arg(2))) !== 0) return drop("unlinkat with AT_REMOVEDIR: the model has no directories to remove");
    const f = this.c.file(pp.path);
    if (f.existed === null) f.existed = this.ok() || this.r.ret?.errno !== "ENOENT";
    return one({ text: `unlink(${quoteBytes(pp.written)})`, result: this.res(), name: "unlink" });
  }

  private rename(): Conv {
    const at = this.r.name !== "rename";
    const from = this.str(at ? 1 : 0), to = this.str(at ? 3 : 1);
    if (from === null || to === null) return NOISE;
    const a = this.c.path(from, this.dirOf(at ? 0 : null)), b = this.c.path(to, this.dirOf(at ? 2 : null));
    if (a === null && b === null) return NOISE;
    if (a === null || b === null) return drop("a rename between a file of the script and one outside it");
    if ("refused" in a) return drop(a.refused);
    if ("refused" in b) return drop(b.refused);
    if (this.r.name === "renameat2" && num(symbolic(this.arg(4))) !== 0) return drop("renameat2 flags are not modelled");
    const f = this.c.file(a.path);
    if (f.existed === null) f.existed = this.ok() || this.r.ret?.errno !== "ENOENT";
    return one({ text: `rename(${quoteBytes(a.written)}, ${quoteBytes(b.written)})`, result: this.res(), name: "rename" });
  }

  // ---- memory ----

  private mmap(): Conv {
    const fdText = stripFdPath(this.arg(4)).text;
    const realFd = num(fdText);
    const ret = this.retNum();
    const anon = realFd === -1 || /MAP_ANON/.test(symbolic(this.arg(3)));
    let f: Fd | null = null;
    if (anon) {
      if (!this.ok() || ret === null || !this.c.anonUsed.has(ret)) return NOISE;
    } else {
      f = realFd === null ? null : this.fdt.map.get(realFd) ?? null;
      if (f === null || f.kind === "proc") return NOISE;
    }
    const flagWords = tableFlags(this.arg(3), U.MAP_FLAGS, "0").split("|");
    const keep: string[] = [];
    for (const w of flagWords) {
      if (MAP_DROPPABLE.has(w)) { this.c.notes.add(`${w} is left out of mmap flags (it changes nothing the model looks at)`); continue; }
      if (w === "MAP_SYNC") {
        if (!this.ok()) return drop("MAP_SYNC is not modelled");
        this.c.notes.add("MAP_SYNC is left out of mmap flags: the model's DAX mappings behave as synchronous ones; the log shows it succeeded");
        continue;
      }
      keep.push(w);
    }
    const mm = this.c.mmOf(this.p);
    let addr = "NULL";
    const hint = num(this.arg(0));
    // An address the script has a name for is written by that name; any other is written as a number (a hint, or MAP_FIXED there).
    const at = hint === null || hint === 0 ? null : mm.at(hint);
    if (at !== null && at.v !== null) addr = "$" + at.v;
    else if (hint !== null && hint !== 0) addr = `0x${hint.toString(16)}`;
    else if (keep.includes("MAP_FIXED") && hint === null) return drop("MAP_FIXED at an address that is not a number");
    const len = num(this.arg(1));
    if (len === null) return drop("the length is not a number");
    const prot = tableFlags(this.arg(2), U.PROT_FLAGS, "PROT_NONE");
    const text = `mmap(${addr}, ${len}, ${prot}, ${keep.join("|") || "0"}, ${f === null ? -1 : f.m}, ${num(this.arg(5)) ?? this.arg(5)})`;
    if (!this.ok()) return one({ text, result: this.res() });
    const v = this.c.newVar();
    mm.maps = mm.maps.filter((x) => !(ret! < x.addr + x.len && x.addr < ret! + len));
    mm.maps.push({ addr: ret!, len: Math.ceil(len / 4096) * 4096, v, kind: f?.kind ?? "anon" });
    if (f !== null && f.kind === "file") {
      const off = num(this.arg(5));
      if (off !== null) this.lower(f.path, off + len, `mapped by the mmap at line ${this.r.line}`);
    }
    return one({ text, result: "$" + v });
  }

  private munmap(): Conv {
    const addr = num(this.arg(0)), len = num(this.arg(1));
    if (addr === null || len === null) return NOISE;
    const mm = this.c.mmOf(this.p);
    const m = mm.at(addr);
    if (m === null || m.v === null) {
      return mm.overlapping(addr, len).length > 0 ? drop("it unmaps part of a mapping at an address the script has no name for") : NOISE;
    }
    const text = `munmap($${m.v}, ${len})`;
    if (this.ok()) {
      const others = mm.overlapping(addr, len).filter((x) => x !== m);
      if (others.length > 0) this.c.notes.add("a munmap that spans several mappings is written for the first; the others stay mapped in the script");
      if (len >= m.len) mm.maps = mm.maps.filter((x) => x !== m);
      else { m.addr += Math.ceil(len / 4096) * 4096; m.len -= Math.ceil(len / 4096) * 4096; m.v = null; }
    }
    return one({ text, result: this.res() });
  }

  // ---- fcntl ----

  private fcntl(): Conv {
    const f = this.fd(0);
    if (f === null || f.kind === "proc") return NOISE;
    const cmd = fcntlCmd(this.arg(1));
    if (cmd === null) return drop(`fcntl ${symbolic(this.arg(1))} is not modelled`);
    const head = `fcntl(${f.m}, ${cmd}`;
    const val = this.arg(2);
    switch (cmd) {
      case "F_SETLEASE": case "F_SETLAYOUT":
        return one({ text: `${head}, ${leaseArg(val)})`, result: this.res() });
      case "F_GETLEASE": case "F_GETLAYOUT":
        return one({ text: `${head})`, result: this.res((v) => {
          const n = num(v);
          if (n === null) return v;
          if (cmd === "F_GETLEASE" && n & U.F_LAYOUT) return n & U.F_EXCLUSIVE ? "F_LAYOUT|F_EXCLUSIVE" : "F_LAYOUT";
          return fmtLeaseType(n);
        }) });
      case "F_GETFL":
        return one({ text: `${head})`, result: this.res((v) => (num(v) === null ? v : fmtGetfl(num(v)!))) });
      case "F_SETFL":
        return one({ text: `${head}, ${openFlags(val)})`, result: this.res() });
      case "F_GETFD":
        return one({ text: `${head})`, result: this.res() });
      case "F_SETFD": {
        const v = num(symbolic(val)) ?? (/FD_CLOEXEC/.test(val) ? 1 : 0);
        if (this.ok()) f.cloexec = (v & 1) === 1;
        return one({ text: `${head}, ${v})`, result: this.res() });
      }
      case "F_SETSIG": {
        const s = signalArg(val);
        if (s === null) return drop(`signal ${val} has no name in a script (glibc keeps 32 and 33)`);
        return one({ text: `${head}, ${s})`, result: this.res() });
      }
      case "F_GETSIG":
        return one({ text: `${head})`, result: this.res((v) => {
          const n = num(v);
          if (n === null || n === 0) return v;
          return signalOf(String(n))?.name ?? null;
        }) });
      case "F_SETOWN": {
        const pid = num(val);
        if (pid === null || pid < 0) return drop("F_SETOWN to a process group is not modelled");
        if (pid === 0) return one({ text: `${head}, 0)`, result: this.res() });
        const q = this.c.byPid.get(pid);
        if (q === undefined) return drop(`pid ${pid} is not a process of the log`);
        return one({ text: `${head}, ${q.name})`, result: this.res(), uses: [q] });
      }
      case "F_GETOWN": {
        const uses: PInfo[] = [];
        const result = this.res((v) => {
          const n = num(v);
          if (n === null || n === 0) return v;
          const q = this.c.byPid.get(n);
          if (q === undefined) return null;
          uses.push(q);
          return q.name;
        });
        return one({ text: `${head})`, result, uses });
      }
      case "F_DUPFD": case "F_DUPFD_CLOEXEC": {
        const min = num(val) ?? 0;
        if (!this.ok()) return one({ text: `${head}, ${min})`, result: this.res() });
        const fd = this.fdt.add(this.retNum()!, { kind: f.kind, path: f.path, cloexec: cmd === "F_DUPFD_CLOEXEC" }, this.fdt.lowest(min));
        return one({ text: `${head}, ${min})`, result: String(fd.m) });
      }
    }
    return drop(`fcntl ${cmd} is not modelled`);
  }

  // ---- io_uring ----

  private uringSetup(): Conv {
    const entries = num(this.arg(0));
    if (entries === null) return NOISE;
    const params = fields(this.arg(1));
    const flags = params.get("flags");
    if (flags !== undefined && num(symbolic(flags)) !== 0) this.c.notes.add(`io_uring_setup flags ${symbolic(flags)} are left out (the model's rings have none)`);
    if (!this.ok()) return one({ text: `io_uring_setup(${entries})`, result: this.res() });
    const fd = this.fdt.add(this.retNum()!, { kind: "ring", path: "io_uring", cloexec: false });
    return one({ text: `io_uring_setup(${entries})`, result: String(fd.m) });
  }

  private uringRegister(): Conv {
    const f = this.fd(0);
    // On a descriptor that is no io_uring the kernel's answer (EOPNOTSUPP) is the model's to give too.
    if (f === null || f.kind === "proc") return NOISE;
    const op = symbolic(this.arg(1));
    const opNum = num(op);
    if (op === "IORING_UNREGISTER_BUFFERS" || opNum === 1)
      return one({ text: `io_uring_unregister_buffers(${f.m})`, result: this.res(), name: "io_uring_unregister_buffers" });
    if (op !== "IORING_REGISTER_BUFFERS" && opNum !== 0) return drop(`io_uring_register ${op} is not modelled (only fixed buffers)`);
    const iovs = elements(this.arg(2));
    if (iovs === null || iovs.cut || iovs.items.length !== 1) return drop("the model registers one fixed buffer at a time");
    const iov = fields(iovs.items[0]!);
    const base = num(iov.get("iov_base") ?? ""), len = num(iov.get("iov_len") ?? "");
    if (base === null || len === null) return drop("the buffer's address or length is not in the log");
    const mm = this.c.mmOf(this.p);
    const m = mm.at(base);
    if (m === null || m.v === null) {
      const inside = mm.containing(base);
      return drop(inside !== null && inside.v !== null ? `the buffer starts inside $${inside.v}, at +${base - inside.addr}: a script names only whole mappings` : "the buffer is memory the script has no mapping for (the heap or the stack)");
    }
    return one({ text: `io_uring_register_buffers(${f.m}, $${m.v}, ${len})`, result: this.res(), name: "io_uring_register_buffers" });
  }

  // ---- processes ----

  private clone(): Conv {
    const ret = this.retNum();
    if (!this.ok() || ret === null) return this.r.ret === null ? NOISE : drop("a fork that failed");
    if (cloneFlags(this.r) & CLONE_THREAD) return NOISE;
    const child = this.c.byPid.get(ret);
    if (child === undefined) return NOISE;
    this.c.birth(child);
    if (!child.forked) return NOISE;
    return one({ text: "fork()", result: child.name, name: "fork" });
  }

  private kill(): Conv {
    const pid = num(this.arg(0));
    if (pid === null || pid <= 0) return drop("kill of a process group is not modelled");
    const q = this.c.byPid.get(pid);
    if (q === undefined) return drop(`pid ${pid} is not a process of the log`);
    const s = signalArg(this.arg(1));
    if (s === null) return drop(`signal ${this.arg(1)} has no name in a script`);
    return one({ text: `kill(${q.name}, ${s})`, result: this.res(), uses: [q] });
  }

  /** exec closes close-on-exec descriptors and every mapping: the script does it with closes and munmaps. */
  private exec(): Conv {
    if (!this.ok()) return NOISE;
    const steps: Step[] = [];
    const fdt = this.fdt;
    for (const [real, f] of [...fdt.map].sort((x, y) => x[0] - y[0])) {
      if (!f.cloexec) continue;
      fdt.remove(real);
      if (f.kind !== "proc") steps.push({ text: `close(${f.m})`, result: "0", name: "close", note: "execve closes close-on-exec descriptors and unmaps everything: the script does it with close and munmap" });
    }
    const mm = this.c.mmOf(this.p);
    for (const m of mm.maps) {
      if (m.v !== null) steps.push({ text: `munmap($${m.v}, ${m.len})`, result: "0", name: "munmap", note: "execve closes close-on-exec descriptors and unmaps everything: the script does it with close and munmap" });
    }
    mm.maps = [];
    return steps.length ? { k: "steps", steps } : NOISE;
  }

  // ---- what the log says about files, and time ----

  private stat(): Conv {
    if (!this.ok()) return NOISE;
    const n = this.r.name;
    let path: string | null = null;
    let structArg = 1;
    if (n === "fstat") path = this.fd(0)?.path ?? null;
    else if (n === "stat" || n === "lstat") {
      const s = this.str(0);
      const pp = s === null ? null : this.c.path(s, this.p.cwd);
      path = pp !== null && "path" in pp ? pp.path : null;
    } else {
      const s = this.str(1);
      structArg = n === "statx" ? 4 : 2;
      if (s === "") path = this.fd(0)?.path ?? null;
      else if (s !== null) {
        const pp = this.c.path(s, this.dirOf(0));
        path = pp !== null && "path" in pp ? pp.path : null;
      }
    }
    if (path === null || DEVICES.has(path)) return NOISE;
    const st = fields(this.arg(structArg));
    const f = this.c.file(path);
    if (f.changed) return NOISE;
    const size = num(st.get("st_size") ?? st.get("stx_size") ?? "");
    if (size !== null && f.size === null) { f.size = size; f.sizeWhy = `${n} at line ${this.r.line}`; }
    const modeText = st.get("st_mode") ?? st.get("stx_mode");
    const mode = modeText === undefined ? null : /(?:\||^)(0[0-7]+)$/.exec(modeText.trim())?.[1];
    if (mode !== undefined && mode !== null && f.mode === null) f.mode = parseInt(mode, 8) & 0o7777;
    const uid = num(st.get("st_uid") ?? st.get("stx_uid") ?? "");
    if (uid !== null && f.uid === null) f.uid = uid;
    if (f.existed === null) f.existed = true;
    return NOISE;
  }

  private lseek(): Conv {
    const f = this.fd(0);
    if (f !== null && f.kind === "file" && this.ok() && num(this.arg(1)) === 0 && /SEEK_END|^2$/.test(symbolic(this.arg(2)))) {
      const file = this.c.file(f.path);
      if (!file.changed && file.size === null) { file.size = this.retNum()!; file.sizeWhy = `lseek to SEEK_END at line ${this.r.line}`; }
    }
    return f === null || f.kind === "proc" ? NOISE : drop("the model has no lseek");
  }

  /** Without timestamps a completed sleep is the only clock the log has. */
  private sleep(): Conv {
    if (this.r.t0 !== null || !this.ok()) return NOISE;
    const ts = fields(this.arg(this.r.name === "nanosleep" ? 0 : 2));
    const s = num(ts.get("tv_sec") ?? ""), ns = num(ts.get("tv_nsec") ?? "");
    if (s === null || ns === null) return NOISE;
    const ms = s * 1000 + Math.floor(ns / 1e6);
    if (ms === 0) return NOISE;
    return one({ text: `sleep ${ms}ms`, result: null, name: "sleep" });
  }
}
