// The machine at step 0: mounts, files, processes (with fds 0-2 open on /dev/null).
import type { KState, Proc } from "./include/state.js";
import type { Policy } from "../policy/types.js";
import { PState, CAP_BITS } from "./include/state.js";
import { newInode, allocBlock } from "./fs/inode.js";
import { S_IFDIR, S_IFREG, S_IFCHR, O_RDWR, O_LARGEFILE } from "./include/uapi.js";
import { allocFile, newFdTable } from "./fs/file.js";
import { FMODE_READ, FMODE_WRITE } from "./include/state.js";
import { assert } from "./include/assert.js";
import { MMAP_TOP } from "./mm/mmap.js";
import { UVERBS_PATH } from "./rdma/verbs.js";

export const FIRST_PID = 1000;

/** What the machine starts with (a scenario's @ lines). Processes get pids from FIRST_PID in this order. */
export interface BootSpec {
  leaseBreakTime: number | null;
  leasesEnable: number | null;
  mounts: readonly { path: string; type: "ext4" | "xfs" | "tmpfs"; dax: "always" | "never" | "inode"; size: number; blockSize: number }[];
  files: readonly { path: string; size: number; uid: number; gid: number; mode: number }[];
  procs: readonly { name: string; uid: number; gid: number; caps: readonly string[]; sigDefault: boolean }[];
  /** The script's calls (a scenario has them): the device nodes they open exist from the start. */
  steps?: readonly BootCall[];
  handlers?: readonly { calls: readonly BootCall[] }[];
  anys?: readonly { call: BootCall }[];
}

interface BootCall { k: string; name?: string; args?: readonly { k: string; v: unknown }[] }

/** Does a call of the script open this device node? */
function opens(sc: BootSpec, path: string): boolean {
  const calls = [...(sc.steps ?? []), ...(sc.handlers ?? []).flatMap((h) => h.calls), ...(sc.anys ?? []).map((a) => a.call)];
  return calls.some((c) => c.k === "call" && c.name === "open" && c.args?.[0]?.k === "str" && c.args[0].v === path);
}

export function boot(sc: BootSpec, pol: Policy): KState {
  const s: KState = {
    pol, now: 0, leaseBreakTime: sc.leaseBreakTime ?? 45, leasesEnable: sc.leasesEnable ?? 1,
    procs: [], fdts: [], files: [], inodes: [], mounts: [], dents: {}, nextLeaseId: 0, nextSeq: 0,
    pages: [], pinsets: [], pds: [], pinAcquired: 0, pinReleased: 0, delayedFput: [],
  };
  // fds 0, 1 and 2 of every process are /dev/null, opened O_RDWR: a character device outside every mount.
  const tty = newInode(s, -1, S_IFCHR | 0o666, 0, 0, "/dev/null");
  tty.nlink = 1;
  tty.refs = 1;
  sc.mounts.forEach((m, i) => {
    const root = newInode(s, i, S_IFDIR | 0o755, 0, 0, m.path);
    root.nlink = 2;
    root.refs = 1;
    s.mounts.push({ path: m.path, type: m.type, dax: m.dax, bsize: m.blockSize, nblocks: m.size / m.blockSize, owner: [], data: [], unwritten: [], pins: [], refcount: [], holes: 0, hint: 0, root: root.ino, dev: i + 1 });
  });
  for (const f of sc.files) {
    const mnt = s.mounts.findIndex((m) => f.path.startsWith(m.path + "/"));
    assert(mnt >= 0, `${f.path} is in a mount`);
    const inode = newInode(s, mnt, S_IFREG | f.mode, f.uid, f.gid, f.path);
    s.dents[f.path] = inode.ino;
    const m = s.mounts[mnt]!;
    for (let fb = 0; fb < Math.ceil(f.size / m.bsize); fb++) {
      const b = allocBlock(m, inode.ino);
      assert(b >= 0, `${f.path} fits its mount`);
      inode.map.push(b);
    }
    inode.size = f.size;
  }
  // The RDMA device node (devtmpfs makes it when the driver loads): made here rather than at
  // the first open, so that which process opens it first leaves no trace in the inode numbers.
  if (opens(sc, UVERBS_PATH)) newInode(s, -1, S_IFCHR | 0o666, 0, 0, UVERBS_PATH).refs = 1;
  for (const d of sc.procs) {
    let caps = 0;
    for (const c of d.caps) caps |= CAP_BITS[c] ?? 0;
    const p: Proc = {
      pid: FIRST_PID + s.procs.length, name: d.name, ppid: 1, uid: d.uid, gid: d.gid, caps, sigDefault: d.sigDefault,
      state: PState.Running, code: 0, fdt: -1, vmas: [], mmapBase: MMAP_TOP, sigq: [], sigpend: 0, fatal: 0, wait: null,
    };
    const t = allocFile(s, tty.ino, O_RDWR | O_LARGEFILE, FMODE_READ | FMODE_WRITE);
    t.ref = 3;
    p.fdt = newFdTable(s, [t.id, t.id, t.id], [0, 0, 0]);
    s.procs.push(p);
  }
  return s;
}
