// Files that travel between processes: SCM_RIGHTS, pidfd_getfd, shared descriptor tables,
// execve's close-on-exec. What the kernel says is checked by the scenarios in
// scenarios/linux (the oracle); these tests check the state the model keeps of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { Machine, type MState } from "../src/machine/machine.js";
import { compile } from "../src/machine/program.js";
import { policyNamed } from "../src/policy/registry.js";
import { encodeMState, decodeMState } from "../src/machine/codec.js";
import { encodeState, cloneState, hashState } from "../src/kernel/snapshot.js";
import { procFds } from "../src/kernel/fs/file.js";
import { checkInvariants } from "../src/kernel/check.js";
import type { KState } from "../src/kernel/include/state.js";

const SEND = `sendmsg(3, {msg_iov=[{iov_base="x", iov_len=1}], msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[4]}]}, 0) = 1`;

function script(body: string): string {
  return `@scenario t\n@fs /mnt/t type=tmpfs size=1M\n@file /mnt/t/a size=4096 uid=1000\n@proc A uid=1000\n@proc W uid=1000\n${body}\n`;
}

/** The state after each step, by line. */
function states(text: string): Map<number, KState> {
  const out = new Map<number, KState>();
  const r = runOnModel(parseScenario(text, "t.scn"), "linux", { onStep: (step, st) => out.set(step.line, cloneState(st.k)) });
  assert.ok(r.report.ok, JSON.stringify(r.report.steps.filter((s) => !s.ok)));
  return out;
}

const IN_FLIGHT = script(`A: socketpair(AF_UNIX, SOCK_STREAM, 0, [3, 4]) = 0
A: fork() = B
A: close(4) = 0
B: close(3) = 0
A: open("/mnt/t/a", O_RDONLY) = 4
A: fcntl(4, F_SETLEASE, F_RDLCK) = 0
A: ${SEND}
A: close(4) = 0
A: exit(0)
B: recvmsg(4, {msg_iov=[{iov_base="x", iov_len=1}], msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[3]}]}, 0) = 1
B: fcntl(3, F_GETLEASE) = F_RDLCK`);

test("a file in flight is held by its message only: no descriptor, one reference, its lease kept", () => {
  const st = states(IN_FLIGHT).get(14)!; // after A's exit (the script's line 14)
  const leased = st.files.find((f) => f !== null && f.kind === 0 && f.ino === st.dents["/mnt/t/a"]);
  assert.ok(leased, "the leased file lives");
  assert.equal(leased.ref, 1);
  for (const p of st.procs) assert.ok(!procFds(st, p).includes(leased.id), `${p.name} holds no descriptor of it`);
  const inQueue = st.files.filter((f) => f?.sock?.queue.some((m) => m.files.includes(leased.id)));
  assert.equal(inQueue.length, 1, "one socket's queue holds it");
  assert.equal(st.inodes[leased.ino]!.leases.length, 1);
  checkInvariants(st);
});

test("sockets and files in flight survive the codec, and their numbering is canonical", () => {
  const sc = parseScenario(IN_FLIGHT, "t.scn");
  const m = new Machine(compile(sc), policyNamed("linux"), { handlers: true });
  let st: MState = m.boot();
  let seen = 0;
  for (;;) {
    const back = decodeMState(encodeMState(st), m.pol);
    assert.equal(encodeState(back.k), encodeState(st.k));
    assert.deepEqual(cloneState(back.k), cloneState(st.k));
    if (st.k.files.some((f) => f?.sock?.queue.some((q) => q.files.length > 0))) {
      seen++;
      // The same state with the files in other slots: the same identity.
      const k = cloneState(st.k);
      const before = hashState(k);
      const n = k.files.length;
      const map = (id: number) => (id >= 0 ? n - 1 - id : id);
      const files = k.files.slice().reverse().map((f) => (f === null ? null : { ...f, id: map(f.id) }));
      for (const f of files) if (f?.sock) { f.sock = { ...f.sock, peer: map(f.sock.peer), queue: f.sock.queue.map((q) => ({ ...q, files: q.files.map(map) })) }; }
      k.files = files;
      for (const t of k.fdts) if (t !== null) t.fds = t.fds.map(map);
      for (const p of k.procs) for (const v of p.vmas) v.file = map(v.file);
      for (const i of k.inodes) if (i !== null) for (const l of i.leases) l.file = map(l.file);
      assert.equal(hashState(k), before);
    }
    const moves = m.moves(st).filter((mv) => mv.k === "call");
    if (moves.length === 0) break;
    st = m.clone(st);
    m.step(st, moves[0]!);
  }
  assert.ok(seen > 0, "a state with a file in flight was reached");
});

test("a shared descriptor table: one table, two users; a close by one is the other's", () => {
  const s = states(script(`A: clone(flags=CLONE_FILES|SIGCHLD) = T
T: open("/mnt/t/a", O_RDONLY) = 3
A: fcntl(3, F_GETFD) = 0
A: close(3) = 0
T: close(3) = -1 EBADF
A: execve("/proc/self/exe", ["a"], NULL) = 0`));
  const shared = s.get(7)!;
  const a = shared.procs.find((p) => p.name === "A")!, t = shared.procs.find((p) => p.name === "T")!;
  assert.equal(a.fdt, t.fdt);
  assert.equal(shared.fdts[a.fdt]!.users, 2);
  const after = s.get(11)!; // execve unshares it
  const a2 = after.procs.find((p) => p.name === "A")!, t2 = after.procs.find((p) => p.name === "T")!;
  assert.notEqual(a2.fdt, t2.fdt);
  assert.equal(after.fdts[t2.fdt]!.users, 1);
});

test("execve keeps a lease whose open file description survives in another descriptor", () => {
  const s = states(script(`A: open("/mnt/t/a", O_RDONLY|O_CLOEXEC) = 3
A: fcntl(3, F_SETLEASE, F_RDLCK) = 0
A: fcntl(3, F_DUPFD, 0) = 4
A: execve("/proc/self/exe", ["a"], NULL) = 0
A: fcntl(3, F_GETFD) = -1 EBADF
A: fcntl(4, F_GETLEASE) = F_RDLCK
A: close(4) = 0`));
  const ino = s.get(6)!.dents["/mnt/t/a"]!;
  assert.equal(s.get(11)!.inodes[ino]!.leases.length, 1);
  assert.equal(s.get(12)!.inodes[ino]!.leases.length, 0);
});

test("the notation's mistakes are FILE:LINE:COL errors", () => {
  const bad: [string, RegExp][] = [
    [`A: sendmsg(3, {msg_iov=[{iov_base="x", iov_len=2}]}, 0)`, /t\.scn:6:\d+: the buffer holds 1 bytes, fewer than iov_len/],
    [`A: sendmsg(3, {msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data=[3]}]}, 0)`, /t\.scn:6:\d+: cmsg_type is SCM_RIGHTS/],
    [`A: sendmsg(3, {msg_bogus=1}, 0)`, /t\.scn:6:\d+: unknown msghdr field msg_bogus/],
    [`A: socketpair(AF_INET, SOCK_STREAM, 0, [3, 4])`, /t\.scn:6:\d+: the family is AF_UNIX/],
    [`A: socketpair(AF_UNIX, SOCK_STREAM, 0, [3])`, /t\.scn:6:\d+: the descriptors made/],
    [`A: execve("/bin/true", ["true"], NULL)`, /t\.scn:6:\d+: the program is \/proc\/self\/exe/],
    [`A: clone(flags=CLONE_VM|SIGCHLD) = T`, /t\.scn:6:\d+: unknown clone flag/],
    [`A: openat(3, "../x", O_RDONLY)`, /t\.scn:6:\d+: \.\.\/x may lead outside every @fs/],
    [`A: sendmsg(3, {msg_iov=[{iov_base="x", iov_len=1}], 0)`, /t\.scn:6:\d+:/],
  ];
  for (const [line, want] of bad) assert.throws(() => parseScenario(script(line), "t.scn"), (e: Error) => want.test(e.message), line);
});

test("an O_PATH descriptor of the RDMA device opens no context", () => {
  const s = states(script(`A: open("/dev/infiniband/uverbs0", O_RDONLY|O_PATH) = 3
A: ibv_alloc_pd(3) = -1 EBADF
A: fcntl(3, F_GETFL) = 0x200000 (flags O_RDONLY|O_PATH)`));
  const st = s.get(8)!;
  assert.equal(st.files.filter((f) => f !== null && f.kind === 1).length, 0, "no uverbs file");
});
