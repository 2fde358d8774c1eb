// The real-machine side of a scenario's directives: a run directory holding the images of
// its ext4 and xfs `@fs`s and the directory its tree is built on (the mounts themselves
// are made by the keeper's init, in a mount namespace of their own: the machine never
// sees them), its `@file`s, made through the tree, and its `@sysctl`s, the only state it
// shares with the machine, restored afterwards. A machine-wide lock keeps two oracle runs
// (say, two test files) from sharing the global sysctls and /proc/locks.
import { execFileSync } from "node:child_process";
import {
  chmodSync, chownSync, closeSync, existsSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync,
  readFileSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync, lstatSync,
} from "node:fs";
import { join } from "node:path";
import type { MountDecl } from "../scenario/ast.js";
import { guard } from "./guard.js";

const BASE_PARENT = "/var/tmp";
const BASE_PREFIX = "daxlease-oracle-";
const LOCK_FILE = "/run/daxlease-oracle.lock";
/** A run holding the lock longer than this is waited for no more. */
export const LOCK_WAIT_MS = 600_000;
/** mkfs.xfs refuses filesystems under 300 MiB; the image is sparse. */
const XFS_MIN_BYTES = 320 << 20;
const SYSCTL: Record<string, string> = {
  "fs.lease-break-time": "/proc/sys/fs/lease-break-time",
  "fs.leases-enable": "/proc/sys/fs/leases-enable",
};

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
}

function hasCommand(cmd: string): boolean {
  for (const d of (process.env.PATH ?? "").split(":").concat(["/usr/sbin", "/sbin"])) if (d && existsSync(join(d, cmd))) return true;
  return false;
}

// ---- the machine lock ----

let chain: Promise<unknown> = Promise.resolve();

/** Runs `fn` holding the machine-wide oracle lock (and one run at a time in this process). */
export function withMachineLock<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(async () => {
    const { me, did } = await acquire(LOCK_WAIT_MS);
    if (did.length > 0) process.stderr.write(`daxlease: cleaned up after an interrupted run: ${did.join("; ")}\n`);
    const unguard = guard(() => release(me));
    try {
      return await fn();
    } finally {
      release(me);
      unguard();
    }
  });
  chain = run.catch(() => undefined);
  return run;
}

/** "PID STARTTIME": the start time tells a live holder from a new process that reused its pid. */
function holderId(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return `${pid} ${stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]}`;
  } catch {
    return null;
  }
}

/** Removes the lock if it is still `me`'s. */
function release(me: string): void {
  try {
    if (readFileSync(LOCK_FILE, "utf8") === me) unlinkSync(LOCK_FILE);
  } catch { /* gone already */ }
}

/**
 * Takes the lock, waiting up to `waitMs` for a live holder (then LockBusy); a dead holder's
 * lock is taken over. Then undoes what interrupted runs left. Returns the lock's content
 * and what was undone.
 */
async function acquire(waitMs: number): Promise<{ me: string; did: string[] }> {
  const until = Date.now() + waitMs;
  const me = holderId(process.pid) ?? String(process.pid);
  let stale: string | null = null;
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, "wx", 0o644);
      writeSync(fd, me);
      closeSync(fd);
      const did = cleanStale();
      if (stale !== null) did.unshift(`took over the lock of pid ${stale} (gone)`);
      return { me, did };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder = "";
    try { holder = readFileSync(LOCK_FILE, "utf8").trim(); } catch { continue; }
    const pid = Number(holder.split(" ")[0]);
    if (holder !== "" && (!(pid > 0) || holderId(pid) !== holder)) {
      if (takeOver(holder)) stale = String(pid);
      continue;
    }
    if (Date.now() >= until) throw new LockBusy(pid);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export class LockBusy extends Error {
  constructor(readonly pid: number) { super(`the oracle lock ${LOCK_FILE} is held by pid ${pid}`); }
}

/**
 * Removes a dead holder's lock, and only it: moved aside first, so that a lock another
 * process took meanwhile is put back rather than removed.
 */
function takeOver(holder: string): boolean {
  const aside = `${LOCK_FILE}.${process.pid}`;
  try { renameSync(LOCK_FILE, aside); } catch { return false; }
  let got = "";
  try { got = readFileSync(aside, "utf8").trim(); } catch { /* as good as gone */ }
  if (got !== holder) try { linkSync(aside, LOCK_FILE); } catch { /* the slot is taken again */ }
  try { unlinkSync(aside); } catch { /* gone */ }
  return got === holder;
}

/**
 * Undoes what interrupted runs left: their sysctls, mounts (of an older oracle, which
 * mounted on the machine) and directories. Called holding the lock, so no other run is
 * under way: every run directory there is is a leftover. Returns what it did.
 */
export function cleanStale(): string[] {
  let names: string[] = [];
  try { names = readdirSync(BASE_PARENT).filter((n) => n.startsWith(BASE_PREFIX)); } catch { return []; }
  const did: string[] = [];
  for (const n of names.sort()) did.push(...new FsEnv(join(BASE_PARENT, n)).teardown());
  return did;
}

/** `daxlease oracle --cleanup`: undoes what interrupted runs left, unless a run is under way. */
export async function cleanupMachine(): Promise<{ busy: number } | { did: string[] }> {
  const run = chain.then(async () => {
    try {
      const { me, did } = await acquire(0);
      release(me);
      return { did };
    } catch (e) {
      if (e instanceof LockBusy) return { busy: e.pid };
      throw e;
    }
  });
  chain = run.catch(() => undefined);
  return run;
}

// ---- one scenario's environment ----

export class FsEnv {
  /** Scenario mount path -> where the driver reaches it (through /proc/PID/root of the tree's init). */
  readonly roots = new Map<string, string>();
  private restore: [string, string][] = [];
  private tree = "";

  constructor(readonly base: string) {}

  static create(): FsEnv {
    const base = mkdtempSync(join(BASE_PARENT, `${BASE_PREFIX}${process.pid}-`));
    chmodSync(base, 0o755);
    mkdirSync(join(base, "root"), 0o755);
    return new FsEnv(base);
  }

  /** Why a mount cannot be made here, or null. */
  static cannot(m: MountDecl): string | null {
    if (m.type === "xfs" && !hasCommand("mkfs.xfs")) return "xfs: mkfs.xfs not found (install xfsprogs)";
    return null;
  }

  /** The directory the init mounts the tree's root on (in its own mount namespace). */
  get rootDir(): string {
    return join(this.base, "root");
  }

  /**
   * The init's command that mounts `m`: a tmpfs, or a loop-mounted image made here. A real
   * mount even for ext4 (a directory of an ext4 root would do for leases, but not for paths
   * at the mount root: rename onto it is EXDEV across mounts, ENOTEMPTY within one).
   */
  mountCommand(m: MountDecl, i: number): string {
    if (m.type === "tmpfs") return `tmpfs ${m.path} ${m.size}`;
    const img = join(this.base, `fs${i}.img`);
    writeFileSync(img, "");
    truncateSync(img, m.type === "xfs" ? Math.max(m.size, XFS_MIN_BYTES) : m.size);
    if (m.type === "xfs") sh("mkfs.xfs", ["-q", "-f", "-b", `size=${m.blockSize}`, img]);
    else sh("mkfs.ext4", ["-q", "-F", "-b", String(m.blockSize), img]);
    return `loop ${m.path} ${m.type} ${img}`;
  }

  /** The tree is up: `tree` is its root as the driver reaches it. */
  attach(tree: string, mounts: readonly MountDecl[]): void {
    this.tree = tree;
    for (const m of mounts) this.roots.set(m.path, tree + m.path);
  }

  /** `@file`: zero-filled (so allocated), then owner, then mode (chown clears set-id bits). */
  makeFile(path: string, size: number, uid: number, gid: number, mode: number): void {
    const real = this.tree + path;
    const fd = openSync(real, "wx", 0o600);
    try {
      const chunk = Buffer.alloc(Math.min(size, 1 << 20));
      for (let off = 0; off < size; off += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, size - off));
    } finally {
      closeSync(fd);
    }
    chownSync(real, uid, gid);
    chmodSync(real, mode);
  }

  /** Writes a sysctl, remembering the old value (on disk too, for a crashed run). */
  sysctl(name: string, value: number): void {
    const file = SYSCTL[name]!;
    const old = readFileSync(file, "utf8").trim();
    if (!this.restore.some(([f]) => f === file)) this.restore.push([file, old]);
    writeFileSync(join(this.base, "sysctl.restore"), JSON.stringify(this.restore));
    writeFileSync(file, `${value}\n`);
  }

  /**
   * Restores sysctls, unmounts what an older oracle mounted on the machine under the run
   * directory, removes it. Synchronous (a signal handler calls it), never throws. Returns
   * what it did, for a cleanup report.
   */
  teardown(): string[] {
    const did: string[] = [];
    let restore = this.restore;
    try {
      if (restore.length === 0) restore = JSON.parse(readFileSync(join(this.base, "sysctl.restore"), "utf8")) as [string, string][];
    } catch { /* none written */ }
    for (const [file, old] of restore) {
      try {
        if (readFileSync(file, "utf8").trim() !== old) did.push(`${sysctlName(file)} back to ${old}`);
        writeFileSync(file, `${old}\n`);
      } catch { /* reported by the caller's check */ }
    }
    this.restore = [];
    const mounted = new Set<string>();
    for (const line of safeRead("/proc/self/mounts").split("\n")) {
      const mp = line.split(" ")[1];
      if (mp !== undefined && mp.startsWith(this.base + "/")) mounted.add(mp.replace(/\\040/g, " "));
    }
    for (const dir of mounted) {
      try { sh("umount", [dir]); } catch {
        try { sh("umount", ["-l", dir]); } catch { /* left for the next cleanup */ }
      }
      did.push(`unmounted ${dir}`);
    }
    if (existsSync(this.base) && !stillMounted(this.base)) {
      rmSync(this.base, { recursive: true, force: true });
      did.push(`removed ${this.base}`);
    }
    return did;
  }

  /** Every regular file now in a mount's root directory, as scenario path -> "dev:ino" key. */
  scan(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [p, r] of this.roots) {
      let names: string[] = [];
      try { names = readdirSync(r); } catch { continue; }
      for (const n of names) {
        try {
          const st = lstatSync(join(r, n), { bigint: true });
          if (st.isFile()) out.set(`${p}/${n}`, devIno(st.dev, st.ino)); // only regular files take leases
        } catch { /* raced with an unlink */ }
      }
    }
    return out;
  }
}

function sysctlName(file: string): string {
  return Object.entries(SYSCTL).find(([, f]) => f === file)?.[0] ?? file;
}

/** The `MAJ:MIN:INO` of /proc/locks for a stat result (glibc's major()/minor() of st_dev). */
export function devIno(dev: bigint, ino: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major.toString(16)}:${minor.toString(16)}:${ino}`;
}

function safeRead(p: string): string {
  try { return readFileSync(p, "utf8"); } catch { return ""; }
}

function stillMounted(base: string): boolean {
  return safeRead("/proc/self/mounts").split("\n").some((l) => (l.split(" ")[1] ?? "").startsWith(base + "/"));
}

export function sysctlNow(name: string): number {
  return Number(readFileSync(SYSCTL[name]!, "utf8").trim());
}
