// What the importer keeps of each traced process: which descriptors and mappings the
// script knows (the log's numbers and addresses, renumbered and named as the model will
// have them), and which process is which.

/** A descriptor the script knows. */
export interface Fd {
  /** Its number in the script: the model's descriptors are always the lowest free. */
  m: number;
  kind: "file" | "ring" | "dev" | "proc";
  path: string;
  cloexec: boolean;
}

/** One process's descriptor table: the log's fd -> the script's. */
export class FdTable {
  readonly map = new Map<number, Fd>();
  /** The script's descriptors in use (0, 1 and 2 are open in every process). */
  readonly used = new Set<number>([0, 1, 2]);

  clone(): FdTable {
    const t = new FdTable();
    for (const [k, v] of this.map) t.map.set(k, { ...v });
    for (const u of this.used) t.used.add(u);
    return t;
  }

  /** The lowest free script descriptor at or above `min`. */
  lowest(min = 0): number {
    let m = Math.max(min, 0);
    while (this.used.has(m)) m++;
    return m;
  }

  add(real: number, fd: Omit<Fd, "m">, m = this.lowest()): Fd {
    const f = { ...fd, m };
    this.map.set(real, f);
    this.used.add(m);
    return f;
  }

  remove(real: number): Fd | null {
    const f = this.map.get(real);
    if (f === undefined) return null;
    this.map.delete(real);
    this.used.delete(f.m);
    return f;
  }
}

/** A mapping the script knows: the log's address, bound to `$var` by the mmap that made it. */
export interface Mapping { addr: number; len: number; v: string | null; kind: Fd["kind"] | "anon" }

export class Mm {
  maps: Mapping[] = [];

  clone(): Mm {
    const m = new Mm();
    m.maps = this.maps.map((x) => ({ ...x }));
    return m;
  }

  at(addr: number): Mapping | null {
    return this.maps.find((x) => x.addr === addr) ?? null;
  }

  containing(addr: number): Mapping | null {
    return this.maps.find((x) => addr >= x.addr && addr < x.addr + x.len) ?? null;
  }

  overlapping(addr: number, len: number): Mapping[] {
    return this.maps.filter((x) => addr < x.addr + x.len && x.addr < addr + len);
  }
}

/** A traced process (all its threads). */
export interface PInfo {
  /** The first pid seen of it (the thread group leader's, as clone returned it). */
  pid: number;
  name: string;
  parent: PInfo | null;
  /** Shared with the parent until the first event that needs its own (see Importer.tableOf). */
  fdt: FdTable | null;
  mm: Mm | null;
  /** The clone/fork event that made it, by event index; -1 for a process the log starts with. */
  bornAt: number;
  /** Made by a fork written in the script (it shares the parent's descriptors there); else a @proc. */
  forked: boolean;
  /** Whether `forked` is decided (at the fork, or at the child's first event if that comes first). */
  born: boolean;
  uid: number | null;
  sigDefault: boolean;
  cwd: string | null;
  /** Has steps of its own other than its exit (or is named by another's step). */
  used: boolean;
  exited: boolean;
  threads: Set<number>;
}

/** `/mnt/x/./a/../b` -> `/mnt/x/b`; relative paths are joined to `cwd`. */
export function normPath(p: string, cwd: string | null): string | null {
  let full = p;
  if (!p.startsWith("/")) {
    if (cwd === null) return null;
    full = cwd.replace(/\/$/, "") + "/" + p;
  }
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

export function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

/** A process name the script accepts: a letter, then letters, digits or `_`. */
export function procName(base: string, taken: Set<string>): string {
  let n = base.replace(/[^A-Za-z0-9_]/g, "_");
  if (!/^[A-Za-z]/.test(n)) n = "p" + n;
  if (n === "NIC") n = "NIC_";
  let out = n;
  for (let i = 2; taken.has(out); i++) out = `${n}${i}`;
  taken.add(out);
  return out;
}
