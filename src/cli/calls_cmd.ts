// `daxlease calls`: every call, argument and flag a script may use, printed from the tables
// the parser checks scripts against (src/scenario/calls.ts, src/kernel/uapi.ts) and the
// oracle's own lists, so that it cannot drift from what runs.
import type { Command } from "commander";
import { CALLS, IBV_ACCESS_FLAGS, type ArgKind, type CallSig } from "../scenario/calls.js";
import * as U from "../kernel/include/uapi.js";
import { FCNTL_OK, LEASE_TYPES_OK, SUPPORTED } from "../oracle/args.js";
import { isStopSignal, signalName } from "../kernel/include/signal_names.js";

/** What each call does, in a few words (docs/calls.md says what the model returns and why). */
export const CALL_DOCS: Record<string, string> = {
  open: "open a file; the lowest free descriptor",
  openat: "open relative to a directory descriptor or AT_FDCWD",
  close: "close a descriptor (the last close of a file releases its leases)",
  dup: "a second descriptor for the same open file",
  dup2: "dup onto a chosen descriptor",
  fork: "a child process, named by the result: fork() = B",
  exit: "the process exits (write it without a result, or = ?)",
  kill: "send a signal to a process by name",
  read: "read at the file position; \"\" leaves the bytes unchecked",
  write: "write the bytes of a string",
  pread: "read at an offset (also pread64)",
  pwrite: "write at an offset (also pwrite64)",
  pread64: "strace's name for pread",
  pwrite64: "strace's name for pwrite",
  truncate: "truncate by path (breaks leases)",
  ftruncate: "truncate by descriptor",
  fallocate: "allocate, punch, zero, collapse or insert a range",
  fsync: "flush a file",
  unlink: "remove a name",
  rename: "rename a file",
  mmap: "map a file; bind the address: = $buf",
  munmap: "unmap a range",
  fcntl: "F_ commands: leases, signals, owner, flags, descriptors",
  ioctl: "ioctl(DST, FICLONE, SRC): share SRC's blocks with DST (xfs reflink)",
  cat: "read a /proc file (or memoryN/pinned_by); expected lines follow as `> ` lines",
  ibv_alloc_pd: "a protection domain on an RDMA context (= $pd)",
  ibv_dealloc_pd: "free a protection domain",
  ibv_reg_mr: "register a memory region: a long-term pin (= $mr)",
  ibv_dereg_mr: "deregister a memory region: unpin",
  ibv_close_device: "close an RDMA context",
  rdma_write: "the NIC's DMA into a memory region (NIC: rdma_write(...))",
  rdma_read: "the NIC's DMA out of a memory region",
  io_uring_setup: "a ring; its descriptor",
  io_uring_register_buffers: "one fixed buffer: a long-term pin",
  io_uring_unregister_buffers: "drop the fixed buffer",
  io_uring_read_fixed: "one READ_FIXED into buffer 0, waited for",
  io_uring_write_fixed: "one WRITE_FIXED from buffer 0, waited for",
  rmmod: "rmmod(\"mlx5_ib\"): the RDMA driver goes; every context is disassociated",
  revoke_context: "revoke_context(A, FD): disassociate one context (sticky, mr-owned)",
  revoke_file: "revoke_file(PATH): disassociate the contexts pinning it (sticky, mr-owned)",
  memory_offline: "offline memory block N (4 pages); sleeps while a page of it is pinned",
  ibv_get_async_event: "the context's async event: IBV_EVENT_DEVICE_FATAL after a revoke",
  lsof: "who has a file open or mapped (an admin view)",
  rdma: "`rdma resource show mr` (an admin view)",
  socketpair: "two connected AF_UNIX sockets; the descriptors as strace prints them: [3, 4]",
  sendmsg: "bytes and, with SCM_RIGHTS, open files into the peer's queue (in flight: held by no process)",
  recvmsg: "bytes and the files in flight with them, each at the lowest free descriptor",
  clone: "clone(flags=CLONE_FILES|SIGCHLD) = B: a child sharing the descriptor table (without CLONE_FILES, a fork)",
  pidfd_open: "a descriptor naming a process (always close-on-exec)",
  pidfd_getfd: "a copy of another process's open file (ptrace access), at the lowest free descriptor, close-on-exec",
  execve: 'execve("/proc/self/exe", ["prog"], NULL): close-on-exec descriptors closed, mappings dropped; the process carries on with the script',
};

/** How an argument kind is written. */
export const ARG_DOCS: Record<ArgKind, string> = {
  fd: "a descriptor number (0-999; 1000 and up are reserved)",
  dirfd: "a descriptor number or AT_FDCWD",
  path: 'a string such as "/mnt/pmem/a", inside an @fs (open also takes "/dev/infiniband/uverbs0")',
  oflags: "open flags joined by |, or a number",
  mode: "a number (0644)",
  int: "a number (decimal or 0x hex)",
  buf: 'the bytes to write, as a C string ("data\\n", "\\0")',
  rbuf: 'the bytes expected back, as a string; "" leaves them unchecked',
  fcntlcmd: "an F_ command",
  ioctlcmd: "an ioctl command: FICLONE (the third argument is the source descriptor)",
  fcntlarg: "the command's argument: a lease type, a signal, a process name, open flags or a number",
  proc: "a process name",
  sig: "a signal name (SIGKILL, SIGRTMIN+1) or number",
  addr: "NULL, a number, or a $name bound by an earlier step",
  prot: "PROT_ flags joined by |",
  mapflags: "MAP_ flags joined by |",
  fallocmode: "FALLOC_FL_ flags joined by |, or 0",
  handle: "a $name bound by the call that made it ($pd, $mr), or 0",
  ibvaccess: "IBV_ACCESS_ flags joined by |",
  str: 'a string ("resource show mr")',
  sockfamily: "AF_UNIX",
  socktype: "SOCK_STREAM or SOCK_DGRAM, with SOCK_CLOEXEC and SOCK_NONBLOCK",
  fdpair: "the two descriptors made, checked: [3, 4]",
  msghdr: 'strace\'s {msg_iov=[{iov_base="x", iov_len=1}], msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3]}]}; recvmsg checks the bytes and descriptors written',
  msgflags: "MSG_ flags joined by |, or 0",
  exepath: '"/proc/self/exe" (the script process\'s own program)',
  cloneflags: "flags=CLONE_FILES|SIGCHLD",
  strarr: 'an array of strings: ["prog"] (not read)',
};

function where(name: string, sig: CallSig): string {
  if (sig.modelOnly || !SUPPORTED.has(name)) return "model";
  return "kernel";
}

function signature(name: string, sig: CallSig): string {
  const min = sig.args.length - (sig.optional ?? 0);
  const args = sig.args.map((a, i) => (i === min ? "[" : "") + a).join(", ") + (sig.optional ? "]" : "");
  return `${sig.nic ? "NIC: " : ""}${name}(${args.replace(", [", "[, ")})`;
}

function split(names: string[], ok: (n: string) => boolean): string {
  const kernel = names.filter(ok), model = names.filter((n) => !ok(n));
  return kernel.join(" ") + (model.length > 0 ? `; model only: ${model.join(" ")}` : "");
}

export function callsText(): string {
  const out: string[] = [
    "Calls a script may make, as `NAME: call(args) = result`. kernel: the oracle makes it on the real",
    "kernel too; model: no kernel has it, and the oracle skips a script that uses it.",
    "",
  ];
  const sigs = Object.entries(CALLS);
  const w = Math.max(...sigs.map(([n, s]) => signature(n, s).length));
  for (const [n, s] of sigs) out.push(`  ${signature(n, s).padEnd(w)}  ${where(n, s).padEnd(6)}  ${CALL_DOCS[n] ?? ""}`.trimEnd());
  out.push("", "Arguments:");
  for (const [k, d] of Object.entries(ARG_DOCS)) out.push(`  ${k.padEnd(10)}  ${d}`);
  const opens = ["O_RDONLY", "O_WRONLY", "O_RDWR", ...U.OPEN_FLAGS.map(([n]) => n), ...Object.keys(U.OPEN_FLAG_ALIASES)];
  const sigNames = Array.from({ length: 31 }, (_, i) => i + 1).filter((n) => !isStopSignal(n)).map(signalName);
  out.push(
    "",
    "Flags and names:",
    `  oflags      ${opens.join(" ")}`,
    `  fcntl       ${split(Object.keys(U.FCNTL_CMDS), (n) => FCNTL_OK.has(n))}`,
    `  F_SETLEASE  ${split(Object.keys(U.LEASE_TYPES), (n) => LEASE_TYPES_OK.has(n))}  (F_LAYOUT|F_EXCLUSIVE combines)`,
    `  F_SETLAYOUT F_RDLCK F_WRLCK F_UNLCK (model only)`,
    `  prot        ${Object.keys(U.PROT_FLAGS).join(" ")}`,
    `  mapflags    ${Object.keys(U.MAP_FLAGS).join(" ")}`,
    `  fallocmode  ${Object.keys(U.FALLOC_FLAGS).join(" ")}`,
    `  ibvaccess   ${Object.keys(IBV_ACCESS_FLAGS).join(" ")}`,
    `  signals     ${sigNames.join(" ")} SIGRTMIN SIGRTMIN+N SIGRTMAX-N SIGRTMAX`,
    "              (stop signals are not modelled; SIGPOLL is SIGIO)",
    "  admin views cat(\"/proc/locks\") (kernel too); cat(\"/proc/vmstat\"), cat(\"/proc/A/file_pins\"),",
    "              lsof(PATH) and rdma(\"resource show mr\") (model only)",
    "  admin calls rmmod(\"mlx5_ib\"), revoke_context(PROC, FD), revoke_file(PATH),",
    "              memory_offline(N), cat(\"/sys/devices/system/memory/memoryN/pinned_by\") (model only)",
    "  ioctl       FICLONE (kernel too)",
  );
  return out.map((l) => l.trimEnd()).join("\n") + "\n";
}

export function registerCallsCommand(program: Command, done: (code: number) => void) {
  program.command("calls").description("list the calls, arguments and flags a script may use, and which the kernel has")
    .action(() => { process.stdout.write(callsText()); done(0); });
}
