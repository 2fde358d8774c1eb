// The whole machine as plain data: arrays of plain objects holding numbers and strings,
// so that the explorer can copy, compare and hash it. Ids are indexes; freed slots are null.
// The one exception is `pol`, a pointer to the policy's constant ops table (as an inode
// points to its i_op): it is shared by every copy and is not part of the state's value.
import type { Policy } from "../../policy/types.js";

/** A signal as a handler sees it. */
export interface SigInfo { signo: number; code: number; fd: number; band: number }

/** Capabilities the model consults (include/uapi/linux/capability.h names). */
export const CAP = { LEASE: 1, KILL: 2, DAC_OVERRIDE: 4, DAC_READ_SEARCH: 8, FOWNER: 16, IPC_LOCK: 32, SYS_ADMIN: 64, SYS_RESOURCE: 128, SYS_PTRACE: 256 } as const;
export const CAP_BITS: Record<string, number> = {
  CAP_LEASE: CAP.LEASE, CAP_KILL: CAP.KILL, CAP_DAC_OVERRIDE: CAP.DAC_OVERRIDE, CAP_DAC_READ_SEARCH: CAP.DAC_READ_SEARCH,
  CAP_FOWNER: CAP.FOWNER, CAP_IPC_LOCK: CAP.IPC_LOCK, CAP_SYS_ADMIN: CAP.SYS_ADMIN, CAP_SYS_RESOURCE: CAP.SYS_RESOURCE,
  CAP_SYS_PTRACE: CAP.SYS_PTRACE,
};

export const enum PState { Running = 0, Blocked = 1, Exited = 2, Killed = 3 }

/** A call asleep in the kernel, as data: what it waits for and how it goes on. */
export interface Wait {
  /**
   * What the sleeper waits for: "lease", a lease break (timed by lease-break-time);
   * "dax", pinned DAX pages of [start, end) of `ino` to be unpinned (no timeout);
   * "unpin", the pins taken under lease `lease` to go (sticky leases);
   * "poll", an io_uring read of the ring's own file, which waits for the ring to become
   * readable (io_uring's armed poll), which only its own completion would make it: for ever;
   * "offline", offline_pages retrying to migrate the pinned pages of a memory block (pages
   * [start, end) by id) until none is pinned, or a fatal signal;
   * "sock", a receive on the AF_UNIX socket of descriptor `fd` waiting for a message, an
   * error or the peer's shutdown (unix_stream_data_wait, __skb_wait_for_more_packets).
   */
  kind: "lease" | "dax" | "unpin" | "poll" | "offline" | "sock";
  ino: number;
  wantWrite: boolean;
  /** A layout breaker (break_layout: FL_LAYOUT leases only). */
  layout: boolean;
  /** The process whose own exclusive layout leases this breaker passes (-1: none). */
  passPid: number;
  /** The breaker leaves leases with pins alone (sticky, mr-owned recall only the others). */
  skipPinned: boolean;
  start: number;
  end: number;
  lease: number;
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
  /**
   * How the call continues: open installs `file` at `fd`; truncate sets the size; redo runs
   * `call` again from the start; fput drops the reference to `file` the sleeper still holds.
   */
  op: "open" | "truncate" | "redo" | "fput";
  file: number;
  fd: number;
  len: number;
  call: string;
  args: (number | string)[];
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
  /** Its descriptor table (an index of `fdts`; -1 once exit_files has dropped it). */
  fdt: number;
  vmas: Vma[];
  mmapBase: number;
  /**
   * Caught signals queued for delivery to user space (struct sigpending, first of each standard
   * signal kept): whoever runs the process's user space (the runner, the explorer) takes them
   * after each move, so between moves this is empty.
   */
  sigq: SigInfo[];
  /** Catchable signals received since the current syscall began (signal_pending); 0 back in user space. */
  sigpend: number;
  /** A fatal signal to act on when the process next leaves the kernel (0: none). */
  fatal: number;
  wait: Wait | null;
}

/**
 * A descriptor table (struct files_struct): a process's own, or one that processes cloned
 * with CLONE_FILES share. It lives while a process uses it.
 */
export interface FdTable {
  id: number;
  /** The processes using it (files_struct.count). */
  users: number;
  /** fd -> file id; -1 free; -2 reserved by an open in progress. */
  fds: number[];
  /** fd -> 1 when the descriptor is close-on-exec (fdt->close_on_exec); as long as `fds`. */
  cloexec: number[];
}

/**
 * What an open file is: a file of a mount, an RDMA context (uverbs), an io_uring instance,
 * an AF_UNIX socket, or a pidfd.
 */
export const FK_INODE = 0, FK_UVERBS = 1, FK_IO_URING = 2, FK_SOCKET = 3, FK_PIDFD = 4;

/** A message queued on an AF_UNIX socket: its bytes, the files in flight with it (SCM_RIGHTS), the sender's tgid. */
export interface SockMsg { data: string; files: number[]; pid: number }

/** An AF_UNIX socket of a socketpair (struct unix_sock). */
export interface Sock {
  /** SOCK_STREAM or SOCK_DGRAM. */
  type: number;
  /** The peer's file (-1 once it is gone). */
  peer: number;
  /** sk_shutdown: RCV_SHUTDOWN (1) | SEND_SHUTDOWN (2). */
  shut: number;
  /** sk_err, reported once by the next receive that finds the queue empty (0: none). */
  err: number;
  /** sk_receive_queue. */
  queue: SockMsg[];
}

export interface OpenFile {
  id: number;
  kind: number;
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
  /** An RDMA context after device disassociate: it refuses new work (EIO). */
  revoked: boolean;
  /**
   * An RDMA context's async event queued for ibv_get_async_event (IBV_EVENT_DEVICE_FATAL
   * after a disassociate: ib_uverbs_free_hw_resources), -1 for none.
   */
  asyncEvent: number;
  /** An io_uring's SQ entries (a power of two; the CQ has twice as many); 0 for other files. */
  sqEntries: number;
  /** A pidfd's process (its pid); -1 for other files. */
  obj: number;
  /** A socket's state; null for other files. */
  sock: Sock | null;
}
/** FMODE_PATH: an O_PATH descriptor, which only names its file (the kernel's bit is 1 << 14). */
export const FMODE_READ = 1, FMODE_WRITE = 2, FMODE_PATH = 4;

export const FL_UNLOCK_PENDING = 1, FL_DOWNGRADE_PENDING = 2;
/** Lease kinds beyond FL_LEASE (include/linux/filelock.h FL_LAYOUT; RFC v2's FL_EXCLUSIVE). */
export const FL_LAYOUT = 4, FL_EXCLUSIVE = 8;

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
  /** FL_LAYOUT, FL_EXCLUSIVE. */
  kind: number;
  /** Long-term pins taken under this lease (sticky leases count them). */
  pins: number;
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
  /**
   * Physical block -> 1 while it is allocated but unwritten (fallocate, zero range: an
   * unwritten extent, read as zeros and, unlike a written block, not checked by O_DIRECT).
   */
  unwritten: number[];
  /** Physical block -> long-term pins on it (an FS-DAX page is its block); may reach past `owner`. */
  pins: number[];
  /**
   * Physical block -> how many file blocks map it, where more than one does (FICLONE shares
   * blocks, xfs_refcount_increase_extent); 0 or absent: one. The refcount btree records only
   * shared extents; `owner` is then one of the inodes that map it. May be shorter than `owner`.
   */
  refcount: number[];
  /** How many free (-1) entries `owner` has: 0 lets the allocator append without a search. */
  holes: number;
  /** No free entry of `owner` lies below this index: the allocator's search starts here. */
  hint: number;
  root: number;
  dev: number;
}

/**
 * A page of memory that is not a DAX block: a page-cache or shmem page shadowing file
 * block `index` of inode `ino` (-1 once truncated away: an orphan kept alive by its
 * pins), or anonymous memory. Pages exist here while something pins them.
 */
export interface Page {
  id: number;
  ino: number;
  index: number;
  data: string;
  pins: number;
}

/** Pinned pages are kept as [kind, mount or -1, block or page id, inode pinned for] quads. */
export const PIN_DAX = 0, PIN_PAGE = 1;

/**
 * A set of long-term pins with one owner: an RDMA memory region (`kind` "mr", owned by
 * its uverbs context file) or an io_uring instance's fixed buffers (`kind` "uring").
 */
export interface PinSet {
  id: number;
  kind: "mr" | "uring";
  /** The file that owns it: the uverbs context, or the io_uring instance. */
  ctx: number;
  /** Protection domain (MRs), -1 for io_uring. */
  pd: number;
  pid: number;
  addr: number;
  len: number;
  access: number;
  odp: boolean;
  pinned: number[];
  /** Paths of the files its pages belonged to when pinned, for the admin views. */
  files: string[];
  /** Invalidated or revoked: the NIC gets a remote access error. */
  dead: boolean;
  /** The lease its pins were taken under, or -1. */
  lease: number;
  /** The leased file it holds open (RFC v2 file_pins, mr-owned), or -1. */
  hold: number;
}

export interface Pd { id: number; ctx: number }

export interface KState {
  /** The policy's ops table: a constant parameter of the machine, not part of its value. */
  readonly pol: Policy;
  /** Virtual milliseconds. Only deadlines relative to it matter: the hash leaves it out. */
  now: number;
  leaseBreakTime: number;
  leasesEnable: number;
  procs: Proc[];
  /** Descriptor tables; freed slots are null. */
  fdts: (FdTable | null)[];
  files: (OpenFile | null)[];
  inodes: (Inode | null)[];
  mounts: Mount[];
  /** Path -> inode of every name in the namespace. */
  dents: Record<string, number>;
  nextLeaseId: number;
  nextSeq: number;
  pages: (Page | null)[];
  pinsets: (PinSet | null)[];
  pds: (Pd | null)[];
  /** /proc/vmstat nr_foll_pin_acquired and nr_foll_pin_released (only `cat` shows them: not hashed). */
  pinAcquired: number;
  pinReleased: number;
  /**
   * Files whose last reference went during this call (fput's task work): __fput runs them
   * before the call returns to user space (fs/file_table.c), so between moves this is empty.
   */
  delayedFput: number[];
}

export const BLOCKED = -0x7fffffff;
