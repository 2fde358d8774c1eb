// The real-machine side of a scenario's directives: one fresh directory per `@fs`
// (a tmpfs mount, a directory on the ext4 root or a loop-mounted image), its `@file`s,
// and its `@sysctl`s, all undone afterwards. A machine-wide lock keeps two oracle
// runs (say, two test files) from sharing the global sysctls and /proc/locks.
import { execFileSync } from "node:child_process";
import {
  chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync,
  readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, writeSync, lstatSync,
} from "node:fs";
import { join } from "node:path";
import type { MountDecl } from "../scenario/ast.js";

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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

// ---- the machine lock ----

let chain: Promise<unknown> = Promise.resolve();

/** Runs `fn` holding the machine-wide oracle lock (and one run at a time in this process). */
export function withMachineLock<T>(fn: () => Promise<T>): Promise<T> {
  const run = chain.then(async () => {
    await acquire();
    try {
      return await fn();
    } finally {
      try { unlinkSync(LOCK_FILE); } catch { /* gone already */ }
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

async function acquire(): Promise<void> {
  const until = Date.now() + LOCK_WAIT_MS;
  const me = holderId(process.pid) ?? String(process.pid);
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, "wx", 0o644);
      writeSync(fd, me);
      closeSync(fd);
      cleanStale();
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    let holder = "";
    try { holder = readFileSync(LOCK_FILE, "utf8").trim(); } catch { continue; }
    const pid = Number(holder.split(" ")[0]);
    if (holder !== "" && (!(pid > 0) || holderId(pid) !== holder)) {
      try { unlinkSync(LOCK_FILE); } catch { /* someone else took it over */ }
      continue;
    }
    if (Date.now() > until) throw new Error(`the oracle lock ${LOCK_FILE} is held by pid ${pid}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Undoes what a crashed run left: its mounts, its directory, its sysctls. */
function cleanStale(): void {
  let names: string[] = [];
  try { names = readdirSync(BASE_PARENT).filter((n) => n.startsWith(BASE_PREFIX)); } catch { return; }
  for (const n of names) {
    const dir = join(BASE_PARENT, n);
    const owner = Number(/-(\d+)-/.exec(n)?.[1]);
    if (owner === process.pid || (Number.isInteger(owner) && pidAlive(owner))) continue;
    new FsEnv(dir).teardown();
  }
}

// ---- one scenario's environment ----

export class FsEnv {
  /** Scenario mount path -> the real directory standing for it. */
  readonly roots = new Map<string, string>();
  private mounted: string[] = [];
  private restore: [string, string][] = [];

  constructor(readonly base: string) {}

  static create(): FsEnv {
    const base = mkdtempSync(join(BASE_PARENT, `${BASE_PREFIX}${process.pid}-`));
    chmodSync(base, 0o755);
    return new FsEnv(base);
  }

  /** Why a mount cannot be made here, or null. */
  static cannot(m: MountDecl): string | null {
    if (m.type === "xfs" && !hasCommand("mkfs.xfs")) return "xfs: mkfs.xfs not found (install xfsprogs)";
    return null;
  }

  get sockPath(): string {
    return join(this.base, "ctl.sock");
  }

  mount(m: MountDecl, i: number): void {
    const dir = join(this.base, `fs${i}`);
    mkdirSync(dir);
    if (m.type === "tmpfs") {
      sh("mount", ["-t", "tmpfs", "-o", `size=${m.size},mode=0755,uid=0,gid=0`, "daxlease", dir]);
      this.mounted.push(dir);
    } else {
      // A real mount even for ext4 (a directory of an ext4 root would do for leases, but
      // not for paths at the mount root: rename onto it is EXDEV across mounts, ENOTEMPTY
      // within one).
      const img = join(this.base, `fs${i}.img`);
      writeFileSync(img, "");
      truncateSync(img, m.type === "xfs" ? Math.max(m.size, XFS_MIN_BYTES) : m.size);
      if (m.type === "xfs") sh("mkfs.xfs", ["-q", "-f", "-b", `size=${m.blockSize}`, img]);
      else sh("mkfs.ext4", ["-q", "-F", "-b", String(m.blockSize), img]);
      sh("mount", ["-o", "loop", img, dir]);
      this.mounted.push(dir);
    }
    chownSync(dir, 0, 0);
    chmodSync(dir, 0o755);
    this.roots.set(m.path, dir);
  }

  /** The real path for a scenario path, or null when it lies outside every @fs. */
  real(path: string): string | null {
    for (const [p, r] of this.roots) {
      if (path === p) return r;
      if (path.startsWith(p + "/")) return r + path.slice(p.length);
    }
    return null;
  }

  /** `@file`: zero-filled (so allocated), then owner, then mode (chown clears set-id bits). */
  makeFile(path: string, size: number, uid: number, gid: number, mode: number): void {
    const real = this.real(path)!;
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

  /** Restores sysctls, unmounts, removes the directory. Never throws. */
  teardown(): void {
    let restore = this.restore;
    try {
      if (restore.length === 0) restore = JSON.parse(readFileSync(join(this.base, "sysctl.restore"), "utf8")) as [string, string][];
    } catch { /* none written */ }
    for (const [file, old] of restore) {
      try { writeFileSync(file, `${old}\n`); } catch { /* reported by the caller's check */ }
    }
    const mounted = new Set(this.mounted);
    for (const line of safeRead("/proc/self/mounts").split("\n")) {
      const mp = line.split(" ")[1];
      if (mp !== undefined && mp.startsWith(this.base + "/")) mounted.add(mp.replace(/\\040/g, " "));
    }
    for (const dir of mounted) {
      try { sh("umount", [dir]); } catch {
        try { sh("umount", ["-l", dir]); } catch { /* left for cleanStale */ }
      }
    }
    if (!stillMounted(this.base)) rmSync(this.base, { recursive: true, force: true });
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
