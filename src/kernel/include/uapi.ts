// User-space ABI constants of x86-64 Linux (include/uapi/asm-generic/fcntl.h,
// include/uapi/linux/falloc.h, include/uapi/asm-generic/mman-common.h).

export const O_ACCMODE = 0o3, O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2;
export const O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400, O_TRUNC = 0o1000,
  O_APPEND = 0o2000, O_NONBLOCK = 0o4000, O_DSYNC = 0o10000, FASYNC = 0o20000,
  O_DIRECT = 0o40000, O_LARGEFILE = 0o100000, O_DIRECTORY = 0o200000, O_NOFOLLOW = 0o400000,
  O_NOATIME = 0o1000000, O_CLOEXEC = 0o2000000, O_SYNC = 0o4010000, O_PATH = 0o10000000;

/** Open flags in the order strace prints them (xlat/open_mode_flags.in; strace 6.1 puts O_PATH, then O_DIRECTORY, after O_CLOEXEC). */
export const OPEN_FLAGS: ReadonlyArray<readonly [string, number]> = [
  ["O_CREAT", O_CREAT], ["O_EXCL", O_EXCL], ["O_NOCTTY", O_NOCTTY], ["O_TRUNC", O_TRUNC],
  ["O_APPEND", O_APPEND], ["O_NONBLOCK", O_NONBLOCK], ["O_SYNC", O_SYNC], ["O_DSYNC", O_DSYNC],
  ["O_ASYNC", FASYNC], ["O_DIRECT", O_DIRECT], ["O_LARGEFILE", O_LARGEFILE],
  ["O_NOFOLLOW", O_NOFOLLOW], ["O_NOATIME", O_NOATIME], ["O_CLOEXEC", O_CLOEXEC], ["O_PATH", O_PATH],
  ["O_DIRECTORY", O_DIRECTORY],
];
export const OPEN_FLAG_ALIASES: Record<string, number> = { O_NDELAY: O_NONBLOCK, FASYNC };

/** F_SETFL may change only these (fs/fcntl.c SETFL_MASK); FASYNC changes only through ->fasync, which regular files lack. */
export const SETFL_MASK = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME;

export const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4,
  F_SETOWN = 8, F_GETOWN = 9, F_SETSIG = 10, F_GETSIG = 11,
  F_SETLEASE = 1024, F_GETLEASE = 1025, F_DUPFD_CLOEXEC = 1030;
/** include/uapi/linux/fs.h: FICLONE = _IOW(0x94, 9, int). */
export const FICLONE = 0x40049409;
export const IOCTL_CMDS: Record<string, number> = { FICLONE };
export const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
export const FD_CLOEXEC = 1;
/** Model-only (RFC v1/v2 include/uapi/asm-generic/fcntl.h): F_LAYOUT = 16, F_EXCLUSIVE = 32. */
export const F_LAYOUT = 16, F_EXCLUSIVE = 32;
/** Model-only: Jeff Layton's F_SETLAYOUT/F_GETLAYOUT, numbered past F_SETLEASE's neighbours (no kernel has them). */
export const F_SETLAYOUT = 1024 + 64, F_GETLAYOUT = 1024 + 65;
export const LEASE_TYPES: Record<string, number> = { F_RDLCK, F_WRLCK, F_UNLCK, F_LAYOUT, F_EXCLUSIVE };
export const FCNTL_CMDS: Record<string, number> = {
  F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_SETOWN, F_GETOWN, F_SETSIG, F_GETSIG,
  F_SETLEASE, F_GETLEASE, F_DUPFD_CLOEXEC, F_SETLAYOUT, F_GETLAYOUT,
};

export const FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02, FALLOC_FL_NO_HIDE_STALE = 0x04,
  FALLOC_FL_COLLAPSE_RANGE = 0x08, FALLOC_FL_ZERO_RANGE = 0x10, FALLOC_FL_INSERT_RANGE = 0x20,
  FALLOC_FL_UNSHARE_RANGE = 0x40, FALLOC_FL_WRITE_ZEROES = 0x80;
export const FALLOC_FLAGS: Record<string, number> = {
  FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, FALLOC_FL_NO_HIDE_STALE, FALLOC_FL_COLLAPSE_RANGE,
  FALLOC_FL_ZERO_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_WRITE_ZEROES,
};

export const PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const PROT_FLAGS: Record<string, number> = { PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC };
export const MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_SHARED_VALIDATE = 0x03, MAP_FIXED = 0x10,
  MAP_ANONYMOUS = 0x20, MAP_POPULATE = 0x8000;
export const MAP_FLAGS: Record<string, number> = {
  MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE, MAP_FIXED, MAP_ANONYMOUS, MAP_ANON: MAP_ANONYMOUS,
  MAP_POPULATE,
};

export const AT_FDCWD = -100;
export const PAGE_SIZE = 4096;
/** RLIMIT_NOFILE soft limit of a fresh login. */
export const NR_OPEN = 1024;

export const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFCHR = 0o020000;

/** enum ibv_event_type (rdma-core verbs.h; the kernel's IB_EVENT_DEVICE_FATAL is 8 too). */
export const IBV_EVENTS: Record<string, number> = {
  IBV_EVENT_CQ_ERR: 0, IBV_EVENT_QP_FATAL: 1, IBV_EVENT_QP_REQ_ERR: 2, IBV_EVENT_QP_ACCESS_ERR: 3,
  IBV_EVENT_COMM_EST: 4, IBV_EVENT_SQ_DRAINED: 5, IBV_EVENT_PATH_MIG: 6, IBV_EVENT_PATH_MIG_ERR: 7,
  IBV_EVENT_DEVICE_FATAL: 8, IBV_EVENT_PORT_ACTIVE: 9, IBV_EVENT_PORT_ERR: 10,
};
/** Sockets (include/linux/socket.h, include/linux/net.h): AF_UNIX socketpairs only. */
export const AF_UNIX = 1, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5;
export const SOCK_CLOEXEC = O_CLOEXEC, SOCK_NONBLOCK = O_NONBLOCK, SOCK_TYPE_MASK = 0xf;
export const SOL_SOCKET = 1, SCM_RIGHTS = 1;
export const MSG_PEEK = 2, MSG_CTRUNC = 8, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000, MSG_CMSG_CLOEXEC = 0x40000000;
export const SOCK_FAMILIES: Record<string, number> = { AF_UNIX, AF_LOCAL: AF_UNIX };
export const SOCK_TYPES: Record<string, number> = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_CLOEXEC, SOCK_NONBLOCK };
/** The flags a script may pass (MSG_PEEK and the rest are not modelled). */
export const MSG_FLAGS: Record<string, number> = { MSG_DONTWAIT, MSG_NOSIGNAL, MSG_CMSG_CLOEXEC };
/** SCM_MAX_FD (include/net/scm.h): at most this many descriptors in one SCM_RIGHTS message. */
export const SCM_MAX_FD = 253;
export const S_IFSOCK = 0o140000;
