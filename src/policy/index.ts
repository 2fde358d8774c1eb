// The policies the model offers. Today's Linux is the only one so far; the proposals of
// the thread (rfc-v1, sticky, exclusive, ...) come with the pins and DAX (issue 4).
export interface Policy {
  name: string;
  summary: string;
  rules: string[];
  sources: string[];
}

export const POLICIES: Policy[] = [
  {
    name: "linux",
    summary: "Today's Linux (6.18): fs/locks.c leases as they are; the oracle is its judge.",
    rules: [
      "F_SETLEASE needs the file's owner uid or CAP_LEASE (EACCES), a regular file (EINVAL), a known type (EINVAL).",
      "check_conflicting_open: a read lease fails (EAGAIN) while anyone has the file open for write; a write lease unless the caller's fd is the only opener.",
      "The lease belongs to the open file description: dup and fork share it; it goes at the last fput.",
      "open for write and truncate(2) break every lease; a read-only open downgrades a write lease; ftruncate, fallocate, write, unlink and rename break none.",
      "The holder gets SIGIO (SI_KERNEL, si_fd 0) or its F_SETSIG signal (POLL_MSG, si_fd); O_NONBLOCK breakers get EAGAIN, the break still starts.",
      "Blocked breakers wait until the holder unlocks or downgrades, or fs.lease-break-time passes (<= 0: never); F_GETLEASE answers the target type meanwhile.",
      "Expiry is lazy: a past break is forced only by the next lease call or a waiting breaker.",
      "F_UNLCK (and removal by timeout or fput) clears F_SETOWN, F_SETSIG and O_ASYNC.",
    ],
    sources: ["fs/locks.c (generic_setlease, generic_add_lease, __break_lease, lease_modify, time_out_leases)", "fs/open.c (do_dentry_open, vfs_truncate)", "man 2const F_GETLEASE"],
  },
];

export function findPolicy(name: string): Policy | null {
  return POLICIES.find((p) => p.name === name) ?? null;
}
