// Random scenario scripts for property tests and for differential fuzzing against the
// kernel (daxlease fuzz). Three generators:
//  - "leases": fs/locks.c with several processes, forks, signals and blocking breakers;
//  - "io": io_uring fixed buffers over tmpfs, ext4 and xfs mappings, O_DIRECT, fallocate,
//    truncate, with leases on the same files;
//  - "pins" (model only: RDMA and FS-DAX): memory regions, io_uring buffers, the NIC's DMA
//    and layout leases, for the property tests under every policy.
// Each script starts with a prelude that sets up what the rest acts on (an open file with a
// lease, a mapping, a registered buffer), so that most scripts reach breaks, blocked calls,
// timeouts and pins. Calls name descriptors the process has open (see `resolveFds`).
import fc from "fast-check";

/**
 * A generator: the lines of a script (a prelude, then steps), and the script they make.
 * Lines may name a descriptor abstractly: `#k` is the k-th (mod how many) descriptor its
 * process has open, `@k` the k-th one open on a file of a mount (never a ring or a device);
 * and a path: `&k` is the k-th file some process has open (a breaker finds a lease there).
 */
export interface Generator {
  lines: (maxLines: number) => fc.Arbitrary<string[]>;
  script: (lines: string[]) => string;
  /** Runnable on the kernel (the pins generator uses RDMA and FS-DAX, which only the model has). */
  kernel: boolean;
}

const body = (line: fc.Arbitrary<string>, maxLines: number) =>
  fc.array(line, { minLength: 1, maxLength: maxLines, size: "max" });

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const k = fc.integer({ min: 0, max: 5 });

// ---------------------------------------------------------------------------------------
// Descriptors: a small tracker follows what each process has open, as the kernel would
// number it (lowest free first), assuming calls succeed where the script makes that likely.

type Kind = "file" | "dir" | "ring" | "dev";

class Tracker {
  readonly procs = new Map<string, Map<number, Kind>>();
  /** The path each process's descriptors were opened with. */
  private readonly fdPaths = new Map<string, Map<number, string>>();
  readonly paths: Map<string, Kind>;
  readonly root: Set<string>;

  constructor(procs: string[], paths: Record<string, Kind>, root: string[], initial: Record<string, Record<number, Kind>> = {}) {
    for (const p of procs) this.procs.set(p, new Map(Object.entries(initial[p] ?? {}).map(([fd, kind]) => [Number(fd), kind])));
    this.paths = new Map(Object.entries(paths));
    this.root = new Set(root);
  }

  private lowest(t: Map<number, Kind>): number {
    let fd = 3;
    while (t.has(fd)) fd++;
    return fd;
  }

  /** Replaces `#k` and `@k` of a line by descriptors of its process, then notes what the call opens or closes. */
  line(l: string): string {
    const m = /^([A-Za-z][A-Za-z0-9_]*): (.*)$/.exec(l);
    if (m === null) return l;
    const who = m[1]!;
    const t = this.procs.get(who);
    const choose = (n: number, files: boolean): number => {
      const open = t === undefined ? [] : [...t].filter(([, kind]) => !files || kind === "file").map(([fd]) => fd).sort((a, b) => a - b);
      if (open.length > 0) return open[n % open.length]!;
      // None: a descriptor that is not open at all (EBADF), never a ring (a fixed read from
      // the ring itself waits for ever).
      let fd = 3 + (n % 3);
      while (t?.has(fd)) fd++;
      return fd;
    };
    const text = m[2]!.replace(/([#@])(\d+)/g, (_all, sigil: string, n: string) => String(choose(Number(n), sigil === "@")))
      .replace(/&(\d+)/g, (_all, n: string) => this.openPath(Number(n)));
    if (t !== undefined) this.effect(who, t, text);
    return `${who}: ${text}`;
  }

  /** The k-th path open by any process (files of mounts only), or the first file known. */
  private openPath(n: number): string {
    const open = new Set<string>();
    for (const [who, t] of this.procs) for (const [fd, kind] of t) if (kind === "file") { const p = this.fdPaths.get(who)?.get(fd); if (p !== undefined) open.add(p); }
    const all = [...open].sort();
    if (all.length > 0) return all[n % all.length]!;
    return [...this.paths].find(([, kind]) => kind === "file")?.[0] ?? "/";
  }

  private note(who: string, fd: number, path: string | undefined) {
    let m = this.fdPaths.get(who);
    if (m === undefined) this.fdPaths.set(who, (m = new Map()));
    if (path === undefined) m.delete(fd); else m.set(fd, path);
  }

  private effect(who: string, t: Map<number, Kind>, text: string) {
    const c = /^([a-z_0-9]+)\((.*)\)( = (\w+))?( \.\.\.)?$/.exec(text);
    if (c === null) return;
    const [name, args] = [c[1]!, c[2]!];
    const str = /"([^"]*)"/.exec(args)?.[1] ?? "";
    const nums = args.split(",").map((a) => a.trim());
    switch (name) {
      case "open": {
        const kind = this.opens(who, str, args);
        if (kind !== null) { const fd = this.lowest(t); t.set(fd, kind); this.note(who, fd, str); }
        break;
      }
      case "io_uring_setup": t.set(this.lowest(t), "ring"); break;
      case "close": t.delete(Number(nums[0])); break;
      case "dup": { const kind = t.get(Number(nums[0])); if (kind !== undefined) { const fd = this.lowest(t); t.set(fd, kind); this.note(who, fd, this.fdPaths.get(who)?.get(Number(nums[0]))); } break; }
      case "dup2": { const kind = t.get(Number(nums[0])); if (kind !== undefined) { t.set(Number(nums[1]), kind); this.note(who, Number(nums[1]), this.fdPaths.get(who)?.get(Number(nums[0]))); } break; }
      case "fork": if (c[4] !== undefined) { this.procs.set(c[4], new Map(t)); this.fdPaths.set(c[4], new Map(this.fdPaths.get(who))); } break;
      case "exit": this.procs.delete(who); break;
      case "kill": if (nums[1] === "SIGKILL") this.procs.delete(nums[0]!); break;
      case "unlink": if (this.root.has(who)) this.paths.delete(str); break;
      case "rename": {
        const [from, to] = [...args.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
        const kind = this.paths.get(from!);
        if (this.root.has(who) && kind === "file" && this.paths.get(to!) !== "dir") { this.paths.delete(from!); this.paths.set(to!, kind); }
        break;
      }
    }
  }

  /** What an open of `path` gives, if it is likely to succeed. */
  private opens(who: string, path: string, args: string): Kind | null {
    if (path.startsWith("/dev/")) return "dev";
    const kind = this.paths.get(path);
    const creat = args.includes("O_CREAT");
    if (kind === undefined) {
      if (!creat || !this.root.has(who)) return null;
      this.paths.set(path, "file");
      return "file";
    }
    if (creat && args.includes("O_EXCL")) return null;
    if (kind === "dir") return /O_WRONLY|O_RDWR|O_TRUNC|O_CREAT/.test(args) ? null : "dir";
    return kind;
  }
}

/** "FORK" becomes `P: fork() = Kn` (for `parent`); "KID:" is the latest child, or the parent before any fork. */
function nameForks(lines: string[], parent: string): string[] {
  let forks = 0;
  return lines.map((l) => {
    if (l === "FORK") return `${parent}: fork() = K${forks++}`;
    return l.startsWith("KID:") ? (forks === 0 ? parent : `K${forks - 1}`) + l.slice(3) : l;
  });
}

/** A call written with `...` gets its `<... resumed>` line before its process's next step. */
function resumeLines(named: string[]): string[] {
  const out: string[] = [];
  const pending = new Map<string, string>();
  for (const l of named) {
    const who = /^([A-Za-z0-9]+):/.exec(l)?.[1];
    if (who !== undefined && pending.has(who)) {
      out.push(`${who}: <... ${pending.get(who)} resumed>`);
      pending.delete(who);
    }
    out.push(l);
    const m = /^([A-Za-z0-9]+): ([a-z_]+)\(.*\) \.\.\.$/.exec(l);
    if (m) pending.set(m[1]!, m[2]!);
  }
  for (const [who, call] of pending) out.push(`${who}: <... ${call} resumed>`);
  return out;
}

// ---------------------------------------------------------------------------------------
// leases: four processes (S dies of an unhandled SIGIO), an ext4 and a tmpfs file system.

const LEASE_HEADER = `@scenario random
@sysctl fs.lease-break-time=1
@fs /mnt/e type=ext4 size=256K
@fs /mnt/s type=tmpfs size=256K
@file /mnt/e/a size=8192 uid=1000
@file /mnt/e/b size=100 uid=1000
@file /mnt/s/c size=4096 uid=1000
@proc P uid=1000
@proc Q uid=1000
@proc R uid=0
@proc S uid=1000 sig=default
`;

const leaseFiles = ["/mnt/e/a", "/mnt/e/b", "/mnt/s/c"];
const leasePaths = fc.oneof(
  { weight: 6, arbitrary: k.map((n) => `&${n}`) },
  { weight: 6, arbitrary: spelled(leaseFiles) },
  { weight: 1, arbitrary: spelled(["/mnt/e/new", "/mnt/e"]) },
);

/**
 * The prelude: the others open the other files, then a holder opens a file and takes a
 * lease (a read lease may get a second holder), perhaps after F_SETSIG and with the file
 * mapped. One script in twelve has no lease.
 */
const leasePrelude = fc.record({
  others: fc.subarray(["Q", "R", "S"]),
  otherMode: pick("O_RDONLY", "O_RDWR"),
  holder: pick("P", "P", "Q", "S"),
  file: pick(...leaseFiles),
  type: pick("F_RDLCK", "F_WRLCK", "F_WRLCK"),
  rdwr: fc.boolean(),
  sig: pick("", "", "SIGUSR1", "SIGRTMIN+1"),
  second: fc.boolean(),
  mapped: fc.integer({ min: 0, max: 3 }),
  none: fc.integer({ min: 0, max: 11 }),
}).map((o) => {
  const elsewhere = leaseFiles.filter((f) => f !== o.file);
  const out = o.others.filter((p) => p !== o.holder).map((p, i) => `${p}: open("${elsewhere[i % 2]}", ${o.otherMode})`);
  out.push(`${o.holder}: open("${o.file}", ${o.type === "F_WRLCK" && o.rdwr ? "O_RDWR" : "O_RDONLY"})`);
  if (o.none === 0) return out;
  if (o.sig !== "") out.push(`${o.holder}: fcntl(#0, F_SETSIG, ${o.sig})`);
  out.push(`${o.holder}: fcntl(#0, F_SETLEASE, ${o.type})`);
  const other = o.holder === "Q" ? "P" : "Q";
  if (o.type === "F_RDLCK" && o.second) out.push(`${other}: open("${o.file}", O_RDONLY)`, `${other}: fcntl(#0, F_SETLEASE, F_RDLCK)`);
  if (o.mapped === 0) out.push(`${o.holder}: mmap(NULL, 4096, PROT_READ, MAP_SHARED, #0, 0)`);
  return out;
});

const oflags = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_RDWR|O_CREAT", "O_RDONLY|O_TRUNC", "O_WRONLY|O_CREAT|O_EXCL", "O_RDWR|O_APPEND"];
const leaseTypes = ["F_RDLCK", "F_WRLCK", "F_UNLCK", "F_UNLCK", "3"];
const falloc = ["0", "FALLOC_FL_KEEP_SIZE", "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE", "FALLOC_FL_ZERO_RANGE", "FALLOC_FL_COLLAPSE_RANGE", "FALLOC_FL_INSERT_RANGE"];
const off = pick(0, 1, 4095, 4096, 8192);
const len = pick(1, 5, 4096, 8192);

/** One call, as a script line without the process. */
const leaseCall = fc.oneof(
  // Breakers that do not wait (the break starts all the same) and opens that break nothing.
  { weight: 4, arbitrary: fc.tuple(leasePaths, pick("O_RDONLY|O_NONBLOCK", "O_WRONLY|O_NONBLOCK", "O_RDWR|O_NONBLOCK")).map(([p, f]) => `open("${p}", ${f})`) },
  { weight: 3, arbitrary: fc.tuple(leasePaths, pick(...oflags)).map(([p, f]) => `open("${p}", ${f}, 0644)`) },
  { weight: 3, arbitrary: k.map((d) => `close(#${d})`) },
  { weight: 1, arbitrary: k.map((d) => `dup(#${d})`) },
  { weight: 1, arbitrary: fc.tuple(k, fc.integer({ min: 3, max: 7 })).map(([a, b]) => `dup2(#${a}, ${b})`) },
  { weight: 5, arbitrary: fc.tuple(k, pick(...leaseTypes)).map(([d, l]) => `fcntl(#${d}, F_SETLEASE, ${l})`) },
  { weight: 3, arbitrary: k.map((d) => `fcntl(#${d}, F_GETLEASE)`) },
  { weight: 1, arbitrary: fc.tuple(k, pick("0", "SIGIO", "SIGRTMIN+1")).map(([d, s]) => `fcntl(#${d}, F_SETSIG, ${s})`) },
  { weight: 1, arbitrary: fc.tuple(k, pick("P", "Q", "0")).map(([d, p]) => `fcntl(#${d}, F_SETOWN, ${p})`) },
  { weight: 1, arbitrary: k.map((d) => `fcntl(#${d}, F_GETFL)`) },
  { weight: 1, arbitrary: fc.tuple(k, off).map(([d, o]) => `ftruncate(#${d}, ${o})`) },
  { weight: 2, arbitrary: fc.tuple(k, off).map(([d, o]) => `pwrite(#${d}, "data", 4, ${o})`) },
  { weight: 1, arbitrary: k.map((d) => `write(#${d}, "xy", 2)`) },
  // A buffer that never matches: the bytes read are always printed, so both sides compare them.
  { weight: 2, arbitrary: fc.tuple(k, len, off).map(([d, n, o]) => `pread(#${d}, "\\1", ${n}, ${o})`) },
  { weight: 1, arbitrary: fc.tuple(k, pick(...falloc), off, len).map(([d, m, o, n]) => `fallocate(#${d}, ${m}, ${o}, ${n})`) },
  { weight: 1, arbitrary: leasePaths.map((p) => `unlink("${p}")`) },
  { weight: 1, arbitrary: fc.tuple(leasePaths, leasePaths).map(([a, b]) => `rename("${a}", "${b}")`) },
  { weight: 1, arbitrary: k.map((d) => `mmap(NULL, 4096, PROT_READ, MAP_SHARED, #${d}, 0)`) },
  { weight: 3, arbitrary: fc.tuple(pick("P", "Q", "R", "S"), pick("SIGUSR1", "SIGKILL", "SIGIO", "SIGTERM")).map(([p, s]) => `kill(${p}, ${s})`) },
  { weight: 1, arbitrary: k.map((d) => `fsync(#${d})`) },
  { weight: 2, arbitrary: fc.constant(`cat("/proc/locks")`) },
);

/** Calls that wait for a lease break, written with `...`. */
const leaseBlocking = fc.oneof(
  fc.tuple(leasePaths, pick("O_RDONLY", "O_WRONLY", "O_RDWR", "O_RDWR")).map(([p, f]) => `open("${p}", ${f}) ...`),
  fc.tuple(leasePaths, off).map(([p, o]) => `truncate("${p}", ${o}) ...`),
);

const leaseLine = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(pick("P", "Q", "R", "S", "KID"), leaseCall).map(([p, c]) => `${p}: ${c}`) },
  { weight: 4, arbitrary: fc.tuple(pick("P", "Q", "R", "S", "KID"), leaseBlocking).map(([p, c]) => `${p}: ${c}`) },
  // Sleeps are far from the break time (1 s): the kernel's steps take real time, the model's none.
  { weight: 3, arbitrary: pick("sleep 600ms", "sleep 1500ms") },
  { weight: 2, arbitrary: pick("P", "Q", "R", "S").map((p) => `${p}: --- none ---`) },
  { weight: 1, arbitrary: fc.constant("FORK") },
  { weight: 1, arbitrary: pick("P: exit(0)", "Q: exit(3)") },
);

function leaseScript(lines: string[]): string {
  const t = new Tracker(["P", "Q", "R", "S"], { "/mnt/e/a": "file", "/mnt/e/b": "file", "/mnt/s/c": "file", "/mnt/e": "dir", "/mnt/s": "dir" }, ["R"]);
  return LEASE_HEADER + "\n" + resumeLines(nameForks(lines, "P").map((l) => t.line(l))).join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------
// io: P's io_uring (fd 3) with a fixed buffer over a mapping; Q holds leases on the same files.

const IO_HEADER = `@scenario random-io
@sysctl fs.lease-break-time=1
@fs /mnt/e type=ext4 size=1M
@fs /mnt/s type=tmpfs size=256K
@fs /mnt/x type=xfs
@file /mnt/e/a size=8192 uid=1000
@file /mnt/s/c size=8192 uid=1000
@file /mnt/x/d size=8192 uid=1000
@proc P uid=1000
@proc Q uid=1000
@proc R uid=0

P: io_uring_setup(4) = 3
`;

const ioFiles = ["/mnt/e/a", "/mnt/s/c", "/mnt/x/d"];
const ioPath = spelled(ioFiles);
/** A file some process has open (where a lease may be), or any of the three. */
const ioTarget = fc.oneof(k.map((n) => `&${n}`), ioPath);

/**
 * The prelude: P maps a buffer and registers it. A shared mapping of tmpfs, a private
 * mapping of any file and anonymous memory can be pinned; a shared writable mapping of
 * ext4 or xfs page cache cannot (EFAULT). Q may hold a lease on one of the files.
 */
const ioPrelude = fc.record({
  src: pick("tmpfs", "tmpfs", "private", "anon", "shared"),
  file: pick(...ioFiles),
  len: pick(8192, 8192, 4096),
  lease: pick("", "F_RDLCK", "F_WRLCK", "F_WRLCK"),
  leased: pick(...ioFiles),
}).map((o) => {
  const out: string[] = [];
  const file = o.src === "tmpfs" ? "/mnt/s/c" : o.file;
  if (o.src === "anon") out.push(`P: MMAP(NULL, ${o.len}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)`);
  else out.push(`P: open("${file}", O_RDWR)`, `P: MMAP(NULL, ${o.len}, PROT_READ|PROT_WRITE, ${o.src === "private" ? "MAP_PRIVATE" : "MAP_SHARED"}, @0, 0)`);
  out.push(`P: io_uring_register_buffers(3, $m0, ${o.len})`);
  // Another file than P's (a lease needs no writer, a write lease no other opener).
  const leased = o.leased === file && o.src !== "anon" ? (file === "/mnt/s/c" ? "/mnt/e/a" : "/mnt/s/c") : o.leased;
  if (o.lease !== "") out.push(`Q: open("${leased}", O_RDONLY)`, `Q: fcntl(#0, F_SETLEASE, ${o.lease})`);
  return out;
});

const ioOff = pick(0, 1, 512, 4096, 8192, 12288);
const ioLen = pick(1, 5, 512, 4096, 8192);
const ioFlags = ["O_RDONLY", "O_RDWR", "O_WRONLY", "O_RDWR|O_DIRECT", "O_RDONLY|O_DIRECT", "O_RDWR|O_APPEND", "O_RDWR|O_CREAT"];
const buf = pick("$m0", "$m0", "$m1", "$m2");

const ioCall = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(ioPath, pick(...ioFlags)).map(([p, f]) => `open("${p}", ${f}, 0644)`) },
  { weight: 2, arbitrary: k.map((d) => `close(#${d})`) },
  // Never the ring: the model does not keep the io_rings header its pages hold (and a
  // buffer over it hung the kernel here once: docs/kernel-notes.md).
  { weight: 3, arbitrary: fc.tuple(k, pick(8192, 4096), pick("PROT_READ", "PROT_READ|PROT_WRITE"), pick("MAP_SHARED", "MAP_PRIVATE")).map(([d, n, pr, m]) => `MMAP(NULL, ${n}, ${pr}, ${m}, @${d}, 0)`) },
  { weight: 1, arbitrary: pick(4096, 8192).map((n) => `MMAP(NULL, ${n}, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)`) },
  { weight: 3, arbitrary: fc.tuple(buf, pick(4096, 8192)).map(([b, n]) => `io_uring_register_buffers(3, ${b}, ${n})`) },
  { weight: 1, arbitrary: fc.constant("io_uring_unregister_buffers(3)") },
  { weight: 5, arbitrary: fc.tuple(pick("read", "write"), k, ioLen, ioOff).map(([op, d, n, o]) => `io_uring_${op}_fixed(3, @${d}, $m0, ${n}, ${o})`) },
  { weight: 3, arbitrary: fc.tuple(k, ioOff).map(([d, o]) => `pwrite(@${d}, "data", 4, ${o})`) },
  { weight: 3, arbitrary: fc.tuple(k, ioLen, ioOff).map(([d, n, o]) => `pread(@${d}, "\\1", ${n}, ${o})`) },
  { weight: 3, arbitrary: fc.tuple(ioTarget, ioOff).map(([p, o]) => `truncate("${p}", ${o})`) },
  { weight: 2, arbitrary: fc.tuple(k, ioOff).map(([d, o]) => `ftruncate(@${d}, ${o})`) },
  { weight: 3, arbitrary: fc.tuple(k, pick(...falloc), ioOff, ioLen).map(([d, m, o, n]) => `fallocate(@${d}, ${m}, ${o}, ${n})`) },
  { weight: 1, arbitrary: fc.tuple(buf, pick(4096, 8192)).map(([b, n]) => `munmap(${b}, ${n})`) },
  { weight: 1, arbitrary: k.map((d) => `fsync(#${d})`) },
  { weight: 1, arbitrary: fc.tuple(k, pick("O_DIRECT", "0", "O_APPEND")).map(([d, f]) => `fcntl(@${d}, F_SETFL, ${f})`) },
  { weight: 2, arbitrary: fc.tuple(k, pick("F_RDLCK", "F_WRLCK", "F_UNLCK")).map(([d, l]) => `fcntl(@${d}, F_SETLEASE, ${l})`) },
);

const ioLine = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(pick("P", "P", "Q", "R", "KID"), ioCall).map(([p, c]) => `${p}: ${c}`) },
  { weight: 2, arbitrary: fc.tuple(pick("P", "R", "KID"), ioTarget, pick("O_RDWR", "O_WRONLY")).map(([p, f, m]) => `${p}: open("${f}", ${m}) ...`) },
  { weight: 2, arbitrary: fc.tuple(pick("P", "R", "KID"), ioTarget, ioOff).map(([p, f, o]) => `${p}: truncate("${f}", ${o}) ...`) },
  { weight: 1, arbitrary: pick("sleep 600ms", "sleep 1500ms") },
  { weight: 1, arbitrary: fc.constant("FORK") },
  { weight: 1, arbitrary: pick("KID: exit(0)", "R: kill(P, SIGKILL)", "R: kill(Q, SIGKILL)", "R: kill(P, SIGUSR1)") },
);

/**
 * P's first three mappings bind $m0..$m2; a buffer named before it is bound is a bad
 * address (0x1000), so shrinking never leaves a script that does not parse. A child forked
 * from P shares its ring (fd 3), its files and its mappings.
 */
function ioScript(lines: string[]): string {
  const t = new Tracker(["P", "Q", "R"], { "/mnt/e/a": "file", "/mnt/s/c": "file", "/mnt/x/d": "file" }, ["R"], { P: { 3: "ring" } });
  let bound = 0;
  const out: string[] = [];
  for (let l of nameForks(lines, "P")) {
    // $m0..$m2 are P's mappings (and its children's, copied by fork); another process that
    // names one means an address of its own, where the agent that plays it on the kernel has
    // its own mappings (a munmap there took away part of R's libc): it names a bad address.
    const mine = /^(P|K\d+):/.test(l);
    l = t.line(l).replace(/\$m(\d)/g, (all, d: string) => (mine && Number(d) < bound ? all : "0x1000"));
    if (l.includes("MMAP(")) {
      l = l.replace("MMAP(", "mmap(");
      if (bound < 3 && l.startsWith("P:") && !l.endsWith("...")) l += ` = $m${bound++}`;
    }
    out.push(l);
  }
  return IO_HEADER + resumeLines(out).join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------
// pins (model only): A pins a DAX file through an RDMA memory region, B pins tmpfs through
// an MR and io_uring; layout leases, the NIC's DMA and a root process R that changes layouts.

const PINS_HEADER = `@scenario random-pins
@sysctl fs.lease-break-time=1
@fs /mnt/pmem type=xfs dax=always size=512K
@fs /mnt/s type=tmpfs size=256K
@file /mnt/pmem/a size=16384 uid=1000
@file /mnt/pmem/b size=4096 uid=1000
@file /mnt/s/c size=8192 uid=1000
@proc A uid=1000
@proc B uid=1000
@proc R uid=0

A: open("/mnt/pmem/a", O_RDWR)
A: open("/dev/infiniband/uverbs0", O_RDWR)
A: mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $ma
A: ibv_alloc_pd(4) = $pa
B: open("/mnt/s/c", O_RDWR)
B: open("/dev/infiniband/uverbs0", O_RDWR)
B: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $mb
B: ibv_alloc_pd(4) = $pb
B: io_uring_setup(4)
`;

const access = pick("IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE", "IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE", "IBV_ACCESS_REMOTE_READ", "IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_ON_DEMAND");
const layoutArg = pick("F_LAYOUT", "F_LAYOUT", "F_LAYOUT|F_EXCLUSIVE");

/** The prelude: A takes a layout lease (the policies that have one need it to pin), registers, and B registers. */
const pinsPrelude = fc.record({
  sig: pick("", "", "SIGUSR1"),
  lease: layoutArg,
  setlayout: fc.integer({ min: 0, max: 5 }),
  access,
  len: pick(8192, 8192, 4096, 16384),
  b: pick("", "mr", "uring"),
}).map((o) => {
  const out: string[] = [];
  if (o.sig !== "") out.push(`A: fcntl(3, F_SETSIG, ${o.sig})`);
  out.push(o.setlayout === 0 ? `A: fcntl(3, F_SETLAYOUT, F_RDLCK)` : `A: fcntl(3, F_SETLEASE, ${o.lease})`);
  out.push(`A: ibv_reg_mr($pa, $ma, ${o.len}, ${o.access}) = $ra`);
  if (o.b === "mr") out.push(`B: ibv_reg_mr($pb, $mb, 8192, IBV_ACCESS_LOCAL_WRITE) = $rb`);
  if (o.b === "uring") out.push(`B: io_uring_register_buffers(5, $mb, 8192)`);
  return out;
});

const pinsFile = pick("/mnt/pmem/a", "/mnt/pmem/a", "/mnt/pmem/b", "/mnt/s/c");
const pinsOff = pick(0, 4096, 8192);

/** Steps that only make sense for one process: A pins the DAX file, B pins tmpfs. */
const pinsOwn = fc.oneof(
  { weight: 4, arbitrary: pick("F_LAYOUT", "F_LAYOUT|F_EXCLUSIVE", "F_UNLCK").map((l) => `A: fcntl(3, F_SETLEASE, ${l})`) },
  { weight: 1, arbitrary: fc.constant(`A: fcntl(3, F_SETSIG, SIGUSR1)`) },
  { weight: 1, arbitrary: pick("F_RDLCK", "F_UNLCK").map((l) => `A: fcntl(3, F_SETLAYOUT, ${l})`) },
  { weight: 4, arbitrary: fc.tuple(access, pick(8192, 4096)).map(([a, n]) => `A: ibv_reg_mr($pa, $ma, ${n}, ${a}) = $ra`) },
  { weight: 2, arbitrary: access.map((a) => `B: ibv_reg_mr($pb, $mb, 8192, ${a}) = $rb`) },
  { weight: 2, arbitrary: pick(`A: ibv_dereg_mr($ra)`, `B: ibv_dereg_mr($rb)`) },
  { weight: 2, arbitrary: fc.constant(`B: io_uring_register_buffers(5, $mb, 8192)`) },
  { weight: 1, arbitrary: fc.constant(`B: io_uring_unregister_buffers(5)`) },
  { weight: 2, arbitrary: fc.tuple(pick("read", "write"), pick(3, 4, 5)).map(([op, d]) => `B: io_uring_${op}_fixed(5, ${d}, $mb, 5, 0)`) },
  { weight: 1, arbitrary: pick(`A: munmap($ma, 16384)`, `B: munmap($mb, 8192)`) },
  { weight: 2, arbitrary: fc.tuple(pick("A", "B"), pick(3, 4)).map(([p, d]) => `${p}: close(${d})`) },
  { weight: 1, arbitrary: pick(`A: fcntl(3, F_SETLEASE, F_UNLCK) ...`, `A: close(3) ...`) },
);

const pinsCall = fc.oneof(
  { weight: 2, arbitrary: pinsFile.map((f) => `open("${f}", O_RDWR)`) },
  { weight: 3, arbitrary: fc.tuple(pinsFile, pinsOff).map(([f, o]) => `truncate("${f}", ${o})`) },
  { weight: 2, arbitrary: fc.tuple(pinsFile, pinsOff).map(([f, o]) => `truncate("${f}", ${o}) ...`) },
  { weight: 2, arbitrary: fc.tuple(k, pinsOff).map(([d, o]) => `fallocate(@${d}, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, ${o}, 4096)`) },
  { weight: 1, arbitrary: fc.tuple(k, pinsOff).map(([d, o]) => `fallocate(@${d}, 0, ${o}, 8192)`) },
  { weight: 1, arbitrary: fc.tuple(k, pinsOff).map(([d, o]) => `pwrite(@${d}, "abc", 3, ${o + 16384})`) },
  { weight: 1, arbitrary: fc.tuple(k, pinsOff).map(([d, o]) => `pwrite(@${d}, "abc", 3, ${o})`) },
  // A reflink makes blocks shared: a later write moves them (copy on write), pinned or not.
  { weight: 1, arbitrary: fc.tuple(k, k).map(([d, e]) => `ioctl(@${d}, FICLONE, @${e})`) },
  { weight: 2, arbitrary: k.map((d) => `close(#${d})`) },
  { weight: 1, arbitrary: pinsFile.map((f) => `unlink("${f}")`) },
  { weight: 2, arbitrary: fc.tuple(pick("A", "B"), pick("SIGKILL", "SIGUSR1")).map(([p, s]) => `kill(${p}, ${s})`) },
  { weight: 1, arbitrary: pick(`cat("/proc/locks")`, `cat("/proc/vmstat")`, `lsof("/mnt/pmem/a")`, `rdma("resource show mr")`, `cat("/proc/A/file_pins")`) },
);

const pinsLine = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(pick("A", "B", "R", "R", "KID"), pinsCall).map(([p, c]) => `${p}: ${c}`) },
  { weight: 8, arbitrary: pinsOwn },
  { weight: 3, arbitrary: fc.tuple(pick("$ra", "$rb"), pinsOff, pick(`"hello"`, `"x"`)).map(([m, o, b]) => `NIC: rdma_write(${m}, ${o % 8192}, ${b})`) },
  { weight: 1, arbitrary: fc.tuple(pick("$ra", "$rb"), pinsOff).map(([m, o]) => `NIC: rdma_read(${m}, ${o % 8192}, 5)`) },
  { weight: 2, arbitrary: pick("sleep 600ms", "sleep 1500ms") },
  { weight: 1, arbitrary: fc.constant("FORK") },
  // A third party changes the pinned file's layout (breaking layout leases).
  { weight: 2, arbitrary: fc.tuple(pick("R", "B"), pinsOff, pick("", " ...")).map(([p, o, w]) => `${p}: truncate("/mnt/pmem/a", ${o})${w}`) },
  // Eviction: the pinned file unlinked, then its last holders let go of it.
  { weight: 1, arbitrary: pick(`R: unlink("/mnt/pmem/a")`, `A: munmap($ma, 16384)`, `KID: munmap($ma, 16384)`, `KID: close(3)`) },
);

function pinsScript(lines: string[]): string {
  const t = new Tracker(["A", "B", "R"], { "/mnt/pmem/a": "file", "/mnt/pmem/b": "file", "/mnt/s/c": "file" }, ["R"],
    { A: { 3: "file", 4: "dev" }, B: { 3: "file", 4: "dev", 5: "ring" } });
  // A handle named before any step binds it is NULL (0): a script may not use an unbound `$name`.
  const bound = new Set(["ma", "pa", "mb", "pb"]);
  const named = nameForks(lines, "A").map((l) => {
    const [call, bind] = t.line(l).split(" = ");
    l = call!.replace(/\$([a-z]+)/g, (all, n: string) => (bound.has(n) ? all : "0")) + (bind === undefined ? "" : ` = ${bind}`);
    if (bind?.startsWith("$")) bound.add(bind.slice(1));
    return l;
  });
  return PINS_HEADER + "\n" + resumeLines(named).join("\n") + "\n";
}

const withPrelude = (prelude: fc.Arbitrary<string[]>, line: fc.Arbitrary<string>) => (maxLines: number) =>
  fc.tuple(prelude, body(line, maxLines)).map(([a, b]) => [...a, ...b]);

export const GENERATORS: Record<string, Generator> = {
  leases: { lines: withPrelude(leasePrelude, leaseLine), script: leaseScript, kernel: true },
  io: { lines: withPrelude(ioPrelude, ioLine), script: ioScript, kernel: true },
};

/** Model only (RDMA verbs, FS-DAX): the property tests' generator, under every policy. */
export const PINS: Generator = { lines: withPrelude(pinsPrelude, pinsLine), script: pinsScript, kernel: false };

// ---- Path spellings (kept apart from the generators' choices and weights) ----

/**
 * A path of `paths`, now and then spelt another way the kernel's walk must resolve: `.`,
 * repeated and trailing slashes, `..` at a mount's root (through another mount) and at "/",
 * through a missing name or a file, a name over NAME_MAX. Each still leads into an @fs
 * (scripts may not lead elsewhere: the parser refuses them; test/hostile.test.ts tries).
 */
function spelled(paths: string[]): fc.Arbitrary<string> {
  const ways: ((p: string) => string)[] = [
    (p) => p.replace(/\/([^/]*)$/, "//$1"),
    (p) => p.replace(/^(\/mnt\/[a-z]+)/, "$1/."),
    (p) => p.replace(/^\/mnt\/([a-z]+)/, (_all, m: string) => `/mnt/${m === "s" ? "e" : "s"}/../${m}`),
    (p) => `/../..${p}`,
    (p) => `${p}/`,
    (p) => p.replace(/\/([^/]*)$/, "/nope/../$1"),
    (p) => `${p}/../${p.slice(p.lastIndexOf("/") + 1)}`,
    (p) => (/^\/mnt\/[a-z]+$/.test(p) ? `${p}/` : p.slice(0, p.lastIndexOf("/") + 1)) + "n".repeat(256),
  ];
  return fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...paths) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...ways)).map(([p, f]) => f(p)) },
  );
}
