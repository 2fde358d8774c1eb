// Partial-order reduction (ample sets, Peled's conditions; Clarke, Grumberg and Peled, Model
// Checking, ch. 10): in a state where one process's next moves are *local* — they touch only
// what that process alone holds, no other actor's move reads or changes it, and no property
// sees it — the search explores those moves only, and leaves the other orders of the same
// steps out. The answers (verdicts) are those of the full search; the shortest runs are
// confirmed by a plain search afterwards (explore/shortest.ts).
//
// The conditions, as they hold here (a move of process A is `a`, a move of any other actor —
// a process, the NIC, an @any line, time — is `t`):
// C0  the ample set is all of A's enabled moves (its next call, and skipping it when optional),
//     never empty.
// C1  `a` and every `t` that can happen before A moves commute: t;a and a;t reach the same
//     state (in the canonical numbering of kernel/snapshot.ts), neither enables nor disables the
//     other, and `a` returns the same whatever `t` did. Each class below says what `a` reads and
//     writes; none of it is read or written by another actor (see `local`). The exceptions:
//     - A's death (a SIGKILL, from `@any ADMIN: kill(A, SIGKILL)`, another process's kill, a
//       policy's kill, or a fatal signal of `sig=default`) disables `a`. Every local move's
//       effect goes with A: exit drops the mapping, the context with its domains, and a
//       `$name` only A uses (machine.ts extra()), in the same __fput order (`exitSafe`). So
//       a;kill and kill reach the same state, and the kill needs no exclusion (tested).
//     - A caught signal with no @on handler of A changes nothing of A in user space (the
//       machine clears its pending count); one that an @on handler of A takes would run A's
//       handler before `a`, so A is not reduced while such a signal can reach it (`signalsSafe`).
// C2  `a` is invisible: no-corruption, pinner-visible, user-told and recoverable (the latter
//     two judge other actors' calls, so `a` must not change what they see either) read pins,
//     blocks, pages, leases and what admin views name; a local move adds none of these, and
//     what lsof names does not change (see `mmapLocal`, `privateInode`). no-innocent-hang:
//     see below.
// C3  every cycle of the reduced graph has a fully expanded state: a local move advances A's
//     program counter, which nothing moves back (and a dead process stays dead), so no cycle
//     of the state graph contains a local move at all. No further proviso is needed.
// No reduction where any process sleeps, a timer is pending or a handler is pending or runs:
// there every move is explored. So the states of the reduced graph where an innocent process
// sleeps have all their successors, and the whole cone of states where it still sleeps is the
// full graph's: a sleeper stuck in the reduced graph is stuck in the full one. Conversely a
// stuck state of the full graph has, in the reduced graph, a counterpart that is the same
// state after some local moves of other processes (the usual ample-set argument); local moves
// wake nobody, and undoing them is not needed to wake the sleeper, so it is stuck too.
import type { Machine, MState, Move } from "../machine/machine.js";
import type { Compiled, ProgCall } from "../machine/program.js";
import type { KState, Proc } from "../kernel/include/state.js";
import { PState, FK_INODE, FK_UVERBS } from "../kernel/include/state.js";
import { nextTimer } from "../kernel/sched/exit.js";
import { procFds } from "../kernel/fs/file.js";
import { UVERBS_PATH } from "../kernel/rdma/verbs.js";
import * as U from "../kernel/include/uapi.js";
import { SIGKILL } from "../kernel/include/signal_names.js";
import type { Arg } from "../scenario/ast.js";
import { CALLS } from "../scenario/calls.js";

/** What the script's text says, once per compiled script. */
interface Facts {
  /** Per process: another actor may send it a signal other than SIGKILL (kill, or F_SETOWN that points SIGIO at it). */
  signalRisk: boolean[];
  /** Per process: an @any line acts as it (other than kill, which touches only its target). */
  anyActs: boolean[];
  /** Every protection domain a call names is a `$name` of the calling process alone: no actor reaches another's domains. */
  pdPrivate: boolean;
  /** Per program (processes, then the NIC) and position: the paths its calls from there on name (admin views left out). */
  pathsFrom: Set<string>[][];
  /** Per process: the paths its handlers name; and those of every @any line. */
  handlerPaths: Set<string>[];
  anyPaths: Set<string>;
  /** Some call takes another process's file (pidfd_getfd): no file is one process's alone. */
  grabs: boolean;
}

const VIEWS = new Set(["cat", "lsof", "rdma"]);

/** Stands for "any name": a path this module cannot match against `k.dents` as written. */
const ANY_PATH = "*";

/**
 * The paths a call names (open, truncate, unlink, rename...): what it may reach without a
 * descriptor. A path is compared with `k.dents` as written, so one the walk would spell
 * otherwise (`.`, `..`, `//`, a trailing `/`, relative) or one taken from a directory
 * descriptor (openat) counts as naming every file.
 */
function pathsOf(call: ProgCall): string[] {
  if (VIEWS.has(call.step.name)) return [];
  const kinds = CALLS[call.step.name]?.args ?? [];
  const fromDir = call.step.args.some((a, i) => kinds[i] === "dirfd" && !(a.k === "sym" && a.v.length === 1 && a.v[0] === "AT_FDCWD"));
  return call.step.args.flatMap((a, i) => {
    if (kinds[i] !== "path" || a.k !== "str") return [];
    const plain = a.v.startsWith("/") && !/\/\/|\/\.\.?(\/|$)|.\/$/.test(a.v);
    return [fromDir || !plain ? ANY_PATH : a.v];
  });
}

const FACTS = new WeakMap<Compiled, Facts>();

function facts(c: Compiled): Facts {
  let f = FACTS.get(c);
  if (f !== undefined) return f;
  const n = c.procs.length;
  // Every call with the actor that makes it: process i, or -1 for the NIC and the @any lines.
  const calls: { actor: number; call: ProgCall }[] = [];
  c.programs.forEach((list, i) => { for (const call of list) calls.push({ actor: i < n ? i : -1, call }); });
  for (const h of c.handlers) for (const call of h.calls) calls.push({ actor: h.proc, call });
  for (const a of c.anys) calls.push({ actor: -1, call: a.call });
  const sym = (a: Arg | undefined): string | null => (a?.k === "sym" && a.v.length === 1 ? String(a.v[0]) : null);
  const signalRisk = new Array<boolean>(n).fill(false);
  for (const { actor, call } of calls) {
    const { name, args } = call.step;
    if (name === "kill") {
      const target = sym(args[0]);
      const sig = args[1];
      const fatal = sym(sig) === "SIGKILL" || (sig?.k === "num" && sig.v === SIGKILL);
      if (fatal) continue;
      for (let i = 0; i < n; i++) if (i !== actor && (target === null || target === c.procs[i]!.name)) signalRisk[i] = true;
    } else if (name === "fcntl" && sym(args[1]) !== null && sym(args[1]) !== "F_SETOWN") continue;
    else if (name === "fcntl") for (let i = 0; i < n; i++) if (i !== actor) signalRisk[i] = true;
  }
  const anyActs = new Array<boolean>(n).fill(false);
  for (const a of c.anys) if (a.proc < n && a.call.step.name !== "kill") anyActs[a.proc] = true;
  const pdPrivate = calls.every(({ actor, call }) => {
    if (call.step.name !== "ibv_reg_mr" && call.step.name !== "ibv_dealloc_pd") return true;
    const a = call.step.args[0];
    return a?.k === "var" && actor >= 0 && c.varOwner[c.vars.indexOf(a.v)] === actor;
  });
  const pathsFrom = c.programs.map((list) => {
    const out: Set<string>[] = [new Set()];
    for (let pc = list.length - 1; pc >= 0; pc--) out.unshift(new Set([...out[0]!, ...pathsOf(list[pc]!)]));
    return out;
  });
  const handlerPaths = c.procs.map((_, i) => new Set(c.handlers.filter((h) => h.proc === i).flatMap((h) => h.calls.flatMap(pathsOf))));
  const anyPaths = new Set(c.anys.flatMap((a) => pathsOf(a.call)));
  const grabs = calls.some(({ call }) => call.step.name === "pidfd_getfd");
  f = { signalRisk, anyActs, pdPrivate, pathsFrom, handlerPaths, anyPaths, grabs };
  FACTS.set(c, f);
  return f;
}

/** The moves to explore in a settled state: an ample set when one exists, else every move. */
export function ample(m: Machine, st: MState): Move[] {
  const all = m.moves(st);
  if (all.length < 2 || !quiet(m, st)) return all;
  for (let i = 0; i < m.c.procs.length; i++) {
    const mine = all.filter((mv) => (mv.k === "call" || mv.k === "skip") && mv.i === i);
    if (mine.length === 0 || mine.length === all.length) continue;
    if (eligible(m, st, i) && mine.every((mv) => mv.k === "skip" || local(m, st, i))) return mine;
  }
  return all;
}

/** Nobody sleeps, no timer runs, no handler is pending or running. */
function quiet(m: Machine, st: MState): boolean {
  if (nextTimer(st.k) >= 0) return false;
  for (const p of st.k.procs) if (p.state === PState.Blocked) return false;
  for (let i = 0; i < m.c.procs.length; i++) if (st.hq[i]!.length > 0 || st.hrun[i]! >= 0) return false;
  return true;
}

/** A may be reduced to: no @any line acts as it, and no signal an @on handler of A takes can reach it first. */
function eligible(m: Machine, st: MState, i: number): boolean {
  const f = facts(m.c);
  if (f.anyActs[i]) return false;
  const live = m.c.handlers.some((h, j) => h.proc === i && st.hchoice[j] !== 2);
  return !live || signalsSafe(m, st, i);
}

/**
 * No signal but SIGKILL reaches A before it moves: no other actor's kill or F_SETOWN can aim
 * one at it, and no open file names A as its owner (send_sigio: a lease break, a layout
 * recall). A file gets A as its owner only from A's own F_SETLEASE or F_SETOWN.
 */
function signalsSafe(m: Machine, st: MState, i: number): boolean {
  if (facts(m.c).signalRisk[i]) return false;
  const pid = m.c.procs[i]!.pid;
  return !st.k.files.some((f) => f !== null && f.owner === pid);
}

/** Does any process other than `pid`, or any memory region's hold, reference file `id`? */
function heldOnlyBy(k: KState, id: number, pid: number): boolean {
  for (const q of k.procs) {
    if (q.pid === pid) continue;
    if (procFds(k, q).includes(id) || q.vmas.some((v) => v.file === id) || q.wait?.file === id) return false;
  }
  // A file in flight in a socket (SCM_RIGHTS) is the receiver's to take.
  if (k.files.some((f) => f !== null && f.sock !== null && f.sock.queue.some((m) => m.files.includes(id)))) return false;
  return !k.pinsets.some((ps) => ps !== null && ps.hold === id);
}

/**
 * Is A's next call local? Each class says what it touches (and so why nobody else's move
 * does). A `$name` it binds or uses must be A's alone (the NIC's or another process's call
 * that uses it would be enabled or changed by it).
 */
function local(m: Machine, st: MState, i: number): boolean {
  const call = m.c.programs[i]![st.pc[i]!]!;
  const owner = m.c.varOwner;
  if (call.bind >= 0 && owner[call.bind] !== i) return false;
  if (call.uses.some((v) => owner[v] !== i)) return false;
  const k = st.k;
  const p = m.proc(st, i)!;
  const name = call.step.name;
  // A descriptor table shared with another process (CLONE_FILES): the lowest free
  // descriptor, and every descriptor's file, are the sharers' too.
  if (p.fdt >= 0 && k.fdts[p.fdt]!.users > 1) return false;
  // pidfd_getfd reads another process's table and takes its files.
  if (facts(m.c).grabs && name !== "cat" && name !== "lsof" && name !== "rdma") return false;
  // Admin views (fs/proc.ts catProc, lsofLines, rdmaLines) read the state and change nothing;
  // their result is not kept unless bound, and results are not checked.
  if (name === "cat" || name === "lsof" || name === "rdma") return call.bind < 0;
  if (name === "fcntl") return fcntlLocal(m, st, p, call);
  if (name === "mmap") return mmapLocal(m, st, p, call);
  // A file of an inode only A can reach (`privateInode`): its open without O_CREAT or
  // O_TRUNC (the descriptor, a new file, the inode's open counts: fs/open.ts openFile, with no
  // lease to break), its close (the counts again; no lease, so nothing to release or wait
  // for: fs/fd.ts sysClose, file_table.ts __fput) and its reads (fs/read_write.ts sysRead: the
  // file's position and the inode's blocks, which only A's calls change). At A's death the
  // file's __fput touches only that inode's counts, in whatever order.
  if (name === "open" || name === "openat") {
    const a = m.resolve(st, call);
    const path = String(a[name === "open" ? 0 : 1]), flags = Number(a[name === "open" ? 1 : 2]);
    if (path !== UVERBS_PATH) {
      if (name === "openat" && a[0] !== U.AT_FDCWD) return false;
      const ino = k.dents[path];
      return (flags & (U.O_CREAT | U.O_TRUNC)) === 0 && ino !== undefined && privateInode(m, st, i, ino);
    }
  }
  if (name === "close" || name === "read" || name === "pread" || name === "pread64") {
    const fd = Number(m.resolve(st, call)[0]);
    const id = fd >= 0 && fd < procFds(st.k, p).length ? procFds(st.k, p)[fd]! : -1;
    if (id < 0) return true; // EBADF
    const f = k.files[id]!;
    return f.kind === FK_INODE && privateInode(m, st, i, f.ino);
  }
  // open of the RDMA device (anon_inodes.ts openSpecial): A's lowest free descriptor, a new
  // file (renumbered canonically), and the device inode's counts, which only opens and
  // releases of the device change (by sums, in any order) and nothing reads (F_SETLEASE
  // refuses a device before it looks at them; nlink 1 keeps it from eviction). The inode
  // exists from boot (kernel/boot.ts), so no first opener makes it.
  if (name === "open") return k.inodes.some((x) => x !== null && x.mnt < 0 && x.path === UVERBS_PATH);
  // ibv_alloc_pd (rdma/verbs.ts): reads the context's kind and `revoked`, adds a domain (its
  // handle is renumbered canonically). On a context only A holds, with no memory region
  // (nothing to revoke it through), and no actor naming domains but by its own `$name`s, no
  // one else reads or changes any of that. The domain goes with the context (releaseOwner).
  if (name === "ibv_alloc_pd") {
    if (!facts(m.c).pdPrivate) return false;
    const fd = Number(m.resolve(st, call)[0]);
    const id = fd >= 0 && fd < procFds(st.k, p).length ? procFds(st.k, p)[fd]! : -1;
    if (id < 0) return true; // EBADF: A's own table
    const f = k.files[id]!;
    if (f.kind !== FK_UVERBS) return true; // EINVAL
    return heldOnlyBy(k, id, p.pid) && !k.pinsets.some((ps) => ps !== null && ps.ctx === id);
  }
  // Not io_uring_setup: its ring gets a new inode in the first free slot, and inodes are not
  // renumbered in the state's identity, so another actor's inode made or evicted first (an
  // O_CREAT open, another ring, a last close of an unlinked file) gives another state.
  return false;
}

/**
 * An inode only A can reach, now and until A moves: a regular file of a mount, still linked,
 * with no lease and no pin on it (so no device reaches its blocks, no lease break or layout
 * recall involves it, and no admin view names it for a pin); every open file of it is A's
 * alone (no other process, no memory region holds one: they could not get one either, as
 * forks copy their own files); and no other actor's remaining calls (program from where it
 * stands, handlers, @any lines, the NIC) name any path of it, so no one opens, truncates,
 * unlinks or renames it by name. Nothing else reaches an inode: a process by its files or a
 * path, a device by pins.
 */
function privateInode(m: Machine, st: MState, i: number, ino: number): boolean {
  const k = st.k;
  const x = k.inodes[ino];
  if (x === null || x === undefined || x.mnt < 0 || (x.mode & U.S_IFMT) !== U.S_IFREG || x.nlink === 0 || x.leases.length > 0) return false;
  const pid = m.c.procs[i]!.pid;
  for (const f of k.files) if (f !== null && f.ino === ino && !heldOnlyBy(k, f.id, pid)) return false;
  for (const ps of k.pinsets) {
    if (ps === null) continue;
    for (let q = 3; q < ps.pinned.length; q += 4) if (ps.pinned[q] === ino) return false;
  }
  if (k.pages.some((g) => g !== null && g.ino === ino)) return false;
  const f = facts(m.c);
  const names = Object.keys(k.dents).filter((path) => k.dents[path] === ino);
  const named = (set: Set<string>) => set.has(ANY_PATH) || names.some((path) => set.has(path));
  if (named(f.anyPaths) || named(f.pathsFrom[m.nic]![st.pc[m.nic]!]!)) return false;
  for (let j = 0; j < m.c.procs.length; j++) {
    if (j === i || m.gone(st, j)) continue;
    if (named(f.handlerPaths[j]!) || named(f.pathsFrom[j]![st.pc[j]!]!)) return false;
  }
  return true;
}

/**
 * fcntl calls that read A's own descriptor table and its file and change nothing (fs/fcntl.c):
 * F_GETFD, F_GETFL, F_GETOWN, F_GETSIG when the result is not bound; F_SETLAYOUT and
 * F_GETLAYOUT where the policy has no such command (EINVAL); an F_SETLEASE argument the policy
 * refuses (lease_alloc's EINVAL, before any check: the refusal may read the file's F_SETSIG
 * signal, which only A or a lease's removal, which resets it, changes); any on a descriptor
 * A does not have (EBADF).
 */
function fcntlLocal(m: Machine, st: MState, p: Proc, call: ProgCall): boolean {
  const [fd, cmd, arg] = m.resolve(st, call).map(Number) as [number, number, number];
  const id = fd >= 0 && fd < procFds(st.k, p).length ? procFds(st.k, p)[fd]! : -1;
  if (id < 0) return true;
  if (cmd === U.F_GETFD || cmd === U.F_GETFL || cmd === U.F_GETOWN || cmd === U.F_GETSIG) return call.bind < 0;
  const pol = st.k.pol;
  if (cmd === U.F_SETLAYOUT || cmd === U.F_GETLAYOUT) return !pol.setlayout;
  if (cmd === U.F_SETLEASE && arg !== U.F_RDLCK && arg !== U.F_WRLCK && arg !== U.F_UNLCK) {
    return pol.leaseArg(arg, st.k.files[id]!.signum) < 0 && pol.leaseArg(arg, 0) < 0;
  }
  return false;
}

/**
 * mmap without MAP_FIXED (mm/mmap.ts): A's address space (its own mappings and base) and
 * a reference on the file, which must be A's alone (no other process, no memory region
 * holds it), a regular file's or none (anonymous). Others see A's mappings in two places
 * only. The NIC's access to an on-demand region A registered reads them (rdma/verbs.ts
 * odpTarget): A may have registered none, and only A registers as A. And lsof names A for
 * a file it maps (predicates.ts namedPinners, for pinner-visible and recoverable): it names
 * A already, by the descriptor the mmap goes through, which stays until A moves again. At
 * A's death the mapping's reference must go in the same __fput order (`exitSafe`).
 */
function mmapLocal(m: Machine, st: MState, p: Proc, call: ProgCall): boolean {
  const a = m.resolve(st, call).map(Number);
  const flags = a[3]!, fd = a[4]!;
  if (flags & U.MAP_FIXED) return false;
  // An on-demand region reaches no anonymous page (odpTarget: no backing), as if unmapped.
  if (flags & U.MAP_ANONYMOUS) return true;
  const id = fd >= 0 && fd < procFds(st.k, p).length ? procFds(st.k, p)[fd]! : -1;
  if (id < 0) return true; // EBADF
  const k = st.k;
  if (k.files[id]!.kind !== FK_INODE || !heldOnlyBy(k, id, p.pid)) return false;
  if (k.pinsets.some((ps) => ps !== null && ps.pid === p.pid)) return false;
  return exitSafe(k, p, id);
}

/**
 * do_exit drops the descriptors in order, then the mappings: the files whose last reference
 * goes are released (__fput) in that order. A new mapping of `id` moves the point where
 * `id`'s last reference goes to the mappings; the order is unchanged when no other file's
 * reference lies between (no descriptor after `id`'s last one, no mapping, is of another file).
 */
function exitSafe(k: KState, p: Proc, id: number): boolean {
  const fds = procFds(k, p);
  const last = fds.lastIndexOf(id);
  for (let fd = last + 1; fd < fds.length; fd++) if (fds[fd]! >= 0 && fds[fd] !== id) return false;
  return p.vmas.every((v) => v.file < 0 || v.file === id);
}
