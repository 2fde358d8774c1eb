// Random scenario scripts for property tests and for differential fuzzing against the
// kernel (daxlease fuzz). Two generators: "leases" (fs/locks.c with several processes,
// forks, signals and blocking breakers) and "io" (io_uring fixed buffers over tmpfs, ext4
// and xfs mappings, O_DIRECT, fallocate, truncate).
import fc from "fast-check";

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

const paths = ["/mnt/e/a", "/mnt/e/b", "/mnt/s/c", "/mnt/e/new", "/mnt/e"];
const oflags = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_RDONLY|O_NONBLOCK", "O_WRONLY|O_NONBLOCK", "O_RDWR|O_CREAT", "O_RDONLY|O_TRUNC", "O_WRONLY|O_CREAT|O_EXCL", "O_RDWR|O_APPEND"];
const leases = ["F_RDLCK", "F_WRLCK", "F_UNLCK", "3"];
const falloc = ["0", "FALLOC_FL_KEEP_SIZE", "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE", "FALLOC_FL_ZERO_RANGE", "FALLOC_FL_COLLAPSE_RANGE", "FALLOC_FL_INSERT_RANGE"];
const sigs = ["SIGUSR1", "SIGKILL", "SIGIO", "SIGTERM"];

const fd = fc.integer({ min: 0, max: 7 });
const off = fc.constantFrom(0, 1, 4095, 4096, 8192);
const len = fc.constantFrom(1, 5, 4096, 8192);
const path = spelled(paths);

/** One call, as a script line without the process. */
const call = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(path, fc.constantFrom(...oflags)).map(([p, f]) => `open("${p}", ${f}, 0644)`) },
  { weight: 3, arbitrary: fd.map((d) => `close(${d})`) },
  { weight: 1, arbitrary: fd.map((d) => `dup(${d})`) },
  { weight: 1, arbitrary: fc.tuple(fd, fd).map(([a, b]) => `dup2(${a}, ${b})`) },
  { weight: 5, arbitrary: fc.tuple(fd, fc.constantFrom(...leases)).map(([d, l]) => `fcntl(${d}, F_SETLEASE, ${l})`) },
  { weight: 2, arbitrary: fd.map((d) => `fcntl(${d}, F_GETLEASE)`) },
  { weight: 1, arbitrary: fc.tuple(fd, fc.constantFrom("0", "SIGIO", "SIGRTMIN+1")).map(([d, s]) => `fcntl(${d}, F_SETSIG, ${s})`) },
  { weight: 1, arbitrary: fc.tuple(fd, fc.constantFrom("P", "Q", "0")).map(([d, p]) => `fcntl(${d}, F_SETOWN, ${p})`) },
  { weight: 1, arbitrary: fd.map((d) => `fcntl(${d}, F_GETFL)`) },
  { weight: 2, arbitrary: fc.tuple(path, off).map(([p, o]) => `truncate("${p}", ${o})`) },
  { weight: 1, arbitrary: fc.tuple(fd, off).map(([d, o]) => `ftruncate(${d}, ${o})`) },
  { weight: 2, arbitrary: fc.tuple(fd, off).map(([d, o]) => `pwrite(${d}, "data", 4, ${o})`) },
  { weight: 1, arbitrary: fd.map((d) => `write(${d}, "xy", 2)`) },
  // A buffer that never matches: the bytes read are always printed, so both sides compare them.
  { weight: 2, arbitrary: fc.tuple(fd, len, off).map(([d, n, o]) => `pread(${d}, "\\1", ${n}, ${o})`) },
  { weight: 2, arbitrary: fc.tuple(fd, fc.constantFrom(...falloc), off, len).map(([d, m, o, n]) => `fallocate(${d}, ${m}, ${o}, ${n})`) },
  { weight: 1, arbitrary: path.map((p) => `unlink("${p}")`) },
  { weight: 1, arbitrary: fc.tuple(path, path).map(([a, b]) => `rename("${a}", "${b}")`) },
  { weight: 2, arbitrary: fd.map((d) => `mmap(NULL, 4096, PROT_READ, MAP_SHARED, ${d}, 0)`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("P", "Q", "R", "S"), fc.constantFrom(...sigs)).map(([p, s]) => `kill(${p}, ${s})`) },
  { weight: 1, arbitrary: fd.map((d) => `fsync(${d})`) },
  { weight: 1, arbitrary: fc.constant("cat(\"/proc/locks\")") },
);

const blocking = fc.oneof(
  fc.tuple(path, fc.constantFrom("O_RDONLY", "O_WRONLY", "O_RDWR")).map(([p, f]) => `open("${p}", ${f})`),
  fc.tuple(path, off).map(([p, o]) => `truncate("${p}", ${o})`),
);

export const leaseLine = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(fc.constantFrom("P", "Q", "R", "S", "KID"), call).map(([p, c]) => `${p}: ${c}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("P", "Q", "S", "KID"), blocking).map(([p, c]) => `${p}: ${c} ...`) },
  { weight: 1, arbitrary: fc.constantFrom("sleep 300ms", "sleep 1500ms") },
  { weight: 1, arbitrary: fc.constantFrom("P", "Q", "R", "S").map((p) => `${p}: --- none ---`) },
  { weight: 1, arbitrary: fc.constant("FORK") },
  { weight: 1, arbitrary: fc.constantFrom("P: exit(0)", "Q: exit(3)") },
);

/** The lease generator's lines as a script: forks named, blocked calls resumed. */
export function leaseScript(lines: string[]): string {
  return LEASE_HEADER + "\n" + resumeLines(nameForks(lines)).join("\n") + "\n";
}

/** "FORK" becomes `P: fork() = Kn`; "KID:" is the latest child, or P before any fork. */
function nameForks(lines: string[]): string[] {
  let forks = 0;
  return lines.map((l) => {
    if (l === "FORK") return `P: fork() = K${forks++}`;
    return l.startsWith("KID:") ? (forks === 0 ? "P" : `K${forks - 1}`) + l.slice(3) : l;
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

const ioFd = fc.integer({ min: 3, max: 8 });
const ioOff = fc.constantFrom(0, 1, 512, 4096, 8192, 12288);
const ioLen = fc.constantFrom(1, 5, 512, 4096, 8192);
const ioPath = spelled(["/mnt/e/a", "/mnt/s/c", "/mnt/x/d"]);
const ioFlags = ["O_RDONLY", "O_RDWR", "O_WRONLY", "O_RDWR|O_DIRECT", "O_RDONLY|O_DIRECT", "O_RDWR|O_APPEND", "O_RDWR|O_CREAT"];
const ioFalloc = ["0", "FALLOC_FL_KEEP_SIZE", "FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE", "FALLOC_FL_ZERO_RANGE", "FALLOC_FL_COLLAPSE_RANGE", "FALLOC_FL_INSERT_RANGE"];
const buf = fc.constantFrom("$m0", "$m1", "$m2");

const ioCall = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(ioPath, fc.constantFrom(...ioFlags)).map(([p, f]) => `open("${p}", ${f}, 0644)`) },
  { weight: 2, arbitrary: ioFd.map((d) => `close(${d})`) },
  // Not the ring (fd 3): the model does not keep the io_rings header its pages hold.
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 4, max: 8 }), fc.constantFrom(8192, 4096), fc.constantFrom("PROT_READ", "PROT_READ|PROT_WRITE"), fc.constantFrom("MAP_SHARED", "MAP_PRIVATE")).map(([d, n, pr, m]) => `MMAP(NULL, ${n}, ${pr}, ${m}, ${d}, 0)`) },
  { weight: 3, arbitrary: fc.tuple(buf, fc.constantFrom(4096, 8192)).map(([b, n]) => `io_uring_register_buffers(3, ${b}, ${n})`) },
  { weight: 1, arbitrary: fc.constant("io_uring_unregister_buffers(3)") },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("read", "write"), ioFd, buf, ioLen, ioOff).map(([op, d, b, n, o]) => `io_uring_${op}_fixed(3, ${d}, ${b}, ${n}, ${o})`) },
  { weight: 3, arbitrary: fc.tuple(ioFd, ioOff).map(([d, o]) => `pwrite(${d}, "data", 4, ${o})`) },
  { weight: 3, arbitrary: fc.tuple(ioFd, ioLen, ioOff).map(([d, n, o]) => `pread(${d}, "\\1", ${n}, ${o})`) },
  { weight: 2, arbitrary: fc.tuple(ioPath, ioOff).map(([p, o]) => `truncate("${p}", ${o})`) },
  { weight: 2, arbitrary: fc.tuple(ioFd, ioOff).map(([d, o]) => `ftruncate(${d}, ${o})`) },
  { weight: 3, arbitrary: fc.tuple(ioFd, fc.constantFrom(...ioFalloc), ioOff, ioLen).map(([d, m, o, n]) => `fallocate(${d}, ${m}, ${o}, ${n})`) },
  { weight: 1, arbitrary: fc.tuple(buf, fc.constantFrom(4096, 8192)).map(([b, n]) => `munmap(${b}, ${n})`) },
  { weight: 1, arbitrary: ioFd.map((d) => `fsync(${d})`) },
  { weight: 1, arbitrary: fc.tuple(ioFd, fc.constantFrom("O_DIRECT", "0", "O_APPEND")).map(([d, f]) => `fcntl(${d}, F_SETFL, ${f})`) },
  { weight: 1, arbitrary: fc.tuple(ioFd, fc.constantFrom("F_RDLCK", "F_WRLCK", "F_UNLCK")).map(([d, l]) => `fcntl(${d}, F_SETLEASE, ${l})`) },
);

export const ioLine = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(fc.constantFrom("P", "P", "Q", "R", "KID"), ioCall).map(([p, c]) => `${p}: ${c}`) },
  { weight: 1, arbitrary: fc.constant("FORK") },
  { weight: 1, arbitrary: fc.constant("KID: exit(0)") },
);

/**
 * P's first three mappings bind $m0..$m2; a buffer named before it is bound is a bad
 * address (0x1000), so shrinking never leaves a script that does not parse. A child forked
 * from P shares its ring (fd 3), its files and its mappings.
 */
export function ioScript(lines: string[]): string {
  let bound = 0;
  const out: string[] = [];
  for (let l of nameForks(lines)) {
    l = l.replace(/\$m(\d)/g, (all, d: string) => (Number(d) < bound ? all : "0x1000"));
    if (l.includes("MMAP(")) {
      l = l.replace("MMAP(", "mmap(");
      if (bound < 3 && l.startsWith("P:")) l += ` = $m${bound++}`;
    }
    out.push(l);
  }
  return IO_HEADER + out.join("\n") + "\n";
}

export interface Generator { line: fc.Arbitrary<string>; script: (lines: string[]) => string }

export const GENERATORS: Record<string, Generator> = {
  leases: { line: leaseLine, script: leaseScript },
  io: { line: ioLine, script: ioScript },
};

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
