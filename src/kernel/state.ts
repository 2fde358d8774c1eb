// The whole machine as plain data: arrays of plain objects holding numbers and strings,
// so that the explorer can copy, compare and hash it. Ids are indexes; freed slots are null.
import type { SigInfo } from "../scenario/report.js";

/** Capabilities the model consults (include/uapi/linux/capability.h names). */
export const CAP = { LEASE: 1, KILL: 2, DAC_OVERRIDE: 4, DAC_READ_SEARCH: 8, FOWNER: 16, IPC_LOCK: 32, SYS_ADMIN: 64, SYS_RESOURCE: 128 } as const;
export const CAP_BITS: Record<string, number> = {
  CAP_LEASE: CAP.LEASE, CAP_KILL: CAP.KILL, CAP_DAC_OVERRIDE: CAP.DAC_OVERRIDE, CAP_DAC_READ_SEARCH: CAP.DAC_READ_SEARCH,
  CAP_FOWNER: CAP.FOWNER, CAP_IPC_LOCK: CAP.IPC_LOCK, CAP_SYS_ADMIN: CAP.SYS_ADMIN, CAP_SYS_RESOURCE: CAP.SYS_RESOURCE,
};

export const enum PState { Running = 0, Blocked = 1, Exited = 2, Killed = 3 }

/** A call asleep in the kernel, as data: what it waits for and how it goes on. */
export interface Wait {
  /** What the sleeper is: a lease breaker (the only sleep of today's model). */
  kind: "lease";
  ino: number;
  wantWrite: boolean;
  /** The lease (id >= 0) or the blocked breaker (-1 - pid) this breaker is queued under. */
  blocker: number;
  /** Order of insertion under its blocker (locks_insert_block appends). */
  seq: number;
  /** Virtual ms at which the sleep times out, -1 for never. */
  wake: number;
  /** Woken (by lease_modify, a timeout or a signal): it runs again at the next settle. */
  woken: boolean;
  /** Woken by its timeout: it runs time_out_leases first. */
  timedOut: boolean;
  /** How the call continues: open installs `file` at `fd`; truncate sets the size. */
  op: "open" | "truncate";
  file: number;
  fd: number;
  len: number;
}

export interface Vma { start: number; end: number; file: number; pgoff: number; prot: number; flags: number }

export interface Proc {
  pid: number;
  name: string;
  ppid: number;
  uid: number;
  gid: number;
  caps: number;
  /** `sig=default`: no handlers installed. */
  sigDefault: boolean;
  state: PState;
  /** Exit code, or the killing signal. */
  code: number;
  /** fd -> file id; -1 free; -2 reserved by an open in progress. */
  fds: number[];
  vmas: Vma[];
  mmapBase: number;
  /** Signals handled since the script's last signal line for this process. */
  sigs: SigInfo[];
  /** Catchable signals received since the current syscall began (signal_pending). */
  sigpend: number;
  /** A fatal signal to act on when the process next leaves the kernel (0: none). */
  fatal: number;
  wait: Wait | null;
  /** The name of the call this process is in or last completed, and its result once done. */
  call: string;
  ret: number;
  done: boolean;
}

export interface OpenFile {
  id: number;
  ref: number;
  ino: number;
  /** f_flags, as F_GETFL shows them. */
  flags: number;
  /** FMODE_READ | FMODE_WRITE. */
  fmode: number;
  pos: number;
  /** f_owner: pid (0 none) and the uid captured when it was set (sigio_perm). */
  owner: number;
  ownerUid: number;
  signum: number;
}
export const FMODE_READ = 1, FMODE_WRITE = 2;

export const FL_UNLOCK_PENDING = 1, FL_DOWNGRADE_PENDING = 2;

export interface Lease {
  id: number;
  /** fl_file, which is also the owner of an F_SETLEASE lease. */
  file: number;
  type: number;
  flags: number;
  breakTime: number;
  downgradeTime: number;
  /** fl_pid: tgid of the process that set it. */
  pid: number;
  /** fasync entry: the fd of the latest F_SETLEASE (-1: none). */
  faFd: number;
  /** Position in the global lock list (/proc/locks prints newest first). */
  seq: number;
}

export interface Inode {
  ino: number;
  mnt: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  readcount: number;
  writecount: number;
  /** Open files and sleepers holding it (i_count less the dentry's). */
  refs: number;
  /** File block -> physical block, -1 for a hole. */
  map: number[];
  /** The lease list in kernel order (flc_lease: oldest first). */
  leases: Lease[];
  /** Its current path, or the last one it had. */
  path: string;
}

export interface Mount {
  path: string;
  type: "ext4" | "xfs" | "tmpfs";
  dax: "always" | "never" | "inode";
  bsize: number;
  nblocks: number;
  /** Physical block -> owning inode (-1 free), up to the highest block ever used. */
  owner: number[];
  /** Physical block -> its bytes as a latin1 string, trailing zeros left out. */
  data: string[];
  root: number;
  dev: number;
}

export interface KState {
  now: number;
  leaseBreakTime: number;
  leasesEnable: number;
  procs: Proc[];
  files: (OpenFile | null)[];
  inodes: (Inode | null)[];
  mounts: Mount[];
  /** Path -> inode of every name in the namespace. */
  dents: Record<string, number>;
  nextLeaseId: number;
  nextSeq: number;
}

export const BLOCKED = -0x7fffffff;
