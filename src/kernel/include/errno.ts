// errno values of x86-64 Linux (include/uapi/asm-generic/errno-base.h, errno.h).
// Syscalls in the model return -errno, as the kernel's do.
export const EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
  EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16,
  EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20, EISDIR = 21, EINVAL = 22, ENFILE = 23,
  EMFILE = 24, ENOTTY = 25, ETXTBSY = 26, EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EROFS = 30,
  EMLINK = 31, EPIPE = 32, ERANGE = 34, EDEADLK = 35, ENAMETOOLONG = 36, ENOLCK = 37,
  ENOSYS = 38, ENOTEMPTY = 39, EOVERFLOW = 75, ENOTSOCK = 88, EMSGSIZE = 90, EPROTONOSUPPORT = 93, EOPNOTSUPP = 95,
  EAFNOSUPPORT = 97, ECONNRESET = 104, EISCONN = 106, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111;

const NAMES: Record<number, string> = {
  [EPERM]: "EPERM", [ENOENT]: "ENOENT", [ESRCH]: "ESRCH", [EINTR]: "EINTR", [EIO]: "EIO",
  [ENXIO]: "ENXIO", [E2BIG]: "E2BIG", [EBADF]: "EBADF", [ECHILD]: "ECHILD", [EAGAIN]: "EAGAIN",
  [ENOMEM]: "ENOMEM", [EACCES]: "EACCES", [EFAULT]: "EFAULT", [EBUSY]: "EBUSY", [EEXIST]: "EEXIST",
  [EXDEV]: "EXDEV", [ENODEV]: "ENODEV", [ENOTDIR]: "ENOTDIR", [EISDIR]: "EISDIR", [EINVAL]: "EINVAL",
  [ENFILE]: "ENFILE", [EMFILE]: "EMFILE", [ENOTTY]: "ENOTTY", [ETXTBSY]: "ETXTBSY", [EFBIG]: "EFBIG",
  [ENOSPC]: "ENOSPC", [ESPIPE]: "ESPIPE", [EROFS]: "EROFS", [EMLINK]: "EMLINK", [EPIPE]: "EPIPE",
  [ERANGE]: "ERANGE", [EDEADLK]: "EDEADLK", [ENAMETOOLONG]: "ENAMETOOLONG", [ENOLCK]: "ENOLCK",
  [ENOSYS]: "ENOSYS", [ENOTEMPTY]: "ENOTEMPTY", [EOVERFLOW]: "EOVERFLOW", [EOPNOTSUPP]: "EOPNOTSUPP",
  [ETIMEDOUT]: "ETIMEDOUT", [ENOTSOCK]: "ENOTSOCK", [EMSGSIZE]: "EMSGSIZE", [EPROTONOSUPPORT]: "EPROTONOSUPPORT",
  [EAFNOSUPPORT]: "EAFNOSUPPORT", [ECONNRESET]: "ECONNRESET", [EISCONN]: "EISCONN", [ENOTCONN]: "ENOTCONN",
  [ECONNREFUSED]: "ECONNREFUSED",
};

/** Aliases that strace or glibc print for the same number; the contract's canonical name wins. */
const ALIASES: Record<string, string> = { EWOULDBLOCK: "EAGAIN", EDEADLOCK: "EDEADLK", ENOTSUP: "EOPNOTSUPP" };

export function errnoName(e: number): string {
  const n = NAMES[e];
  if (n === undefined) throw new Error(`errno ${e} has no name`);
  return n;
}

/** Canonical name for a name read from a script, or null when it is not an errno we know. */
export function canonicalErrno(name: string): string | null {
  const alias = ALIASES[name];
  if (alias !== undefined) return alias;
  for (const k in NAMES) if (NAMES[k] === name) return name;
  return null;
}

export function errnoByName(name: string): number | null {
  const canon = canonicalErrno(name);
  if (canon === null) return null;
  for (const k in NAMES) if (NAMES[k] === canon) return Number(k);
  return null;
}
