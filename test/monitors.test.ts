// The five properties, each view and each case the monitors tell apart (src/props/monitor.ts):
// for every one a script where it decides the outcome, so that a monitor that looked at
// less, or at the wrong thing, fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { run, DAX } from "./helpers.js";

const HDR = `${DAX}@file /mnt/pmem/c size=8192 uid=1000\n@proc C uid=1000\n@proc R uid=0\n`;

/** A opens a, takes `lease`, maps it, opens an RDMA context (fd 4) and registers the mapping. */
const pinnedA = (lease: string) => [
  `A: open("/mnt/pmem/a", O_RDWR) = 3`, `A: fcntl(3, F_SETLEASE, ${lease}) = 0`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
  `A: open("/dev/infiniband/uverbs0", O_RDWR) = 4`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $buf, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr`,
];

function check(policy: string, steps: string[]) {
  const rep = run(steps.join("\n"), "t", HDR, policy);
  // Every step as written (a failed property without an @expect line fails the run too: the
  // violations are what these tests look at).
  assert.deepEqual(rep.steps.filter((s) => !s.ok), []);
  const at = (i: number) => rep.steps[i]!.line;
  const failed = (property: string) => rep.violations!.filter((v) => v.property === property);
  return { rep, at, failed };
}

// --- pinner-visible: which views name whom ---------------------------------------------

test("pinner-visible: io_uring pins of anonymous memory are attributed to the ring's holders, a child that kept it included", () => {
  const { rep } = check("linux", [
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = $m`, `A: io_uring_setup(4) = 3`,
    `A: io_uring_register_buffers(3, $m, 8192) = 0`, `A: fork() = K`, `A: exit(0) = ?`, `K: cat("/proc/locks")`,
  ]);
  assert.deepEqual(rep.violations, []);
});

test("pinner-visible: an MR of anonymous memory is attributed to the process the rdma tool names, which must be alive", () => {
  const { failed, at } = check("linux", [
    `A: open("/dev/infiniband/uverbs0", O_RDWR) = 3`, `A: ibv_alloc_pd(3) = $pd`,
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = $m`, `A: ibv_reg_mr($pd, $m, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr`,
    `A: fork() = K`, `K: rdma("resource show mr")`, `A: exit(0) = ?`, `K: rdma("resource show mr")`,
  ]);
  assert.deepEqual(failed("pinner-visible").map((v) => [v.line, v.detail]), [[at(6), "2 pages of [anon] pinned by MR 1, and no admin view that shows the file names a live process holding the pin"]]);
});

test("pinner-visible: lsof names the pinner while it has the file mapped (no lease, no descriptor), not after", () => {
  const { failed, at } = check("rfc-v1", [...pinnedA("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`, `A: close(3) = 0`,
    `A: lsof("/mnt/pmem/a")`, `> A mem /mnt/pmem/a`, `A: munmap($buf, 8192) = 0`]);
  assert.deepEqual(failed("pinner-visible").map((v) => v.line), [at(9)]);
});

test("pinner-visible: lsof names the pinner while it has the file open (no lease, no mapping), not after", () => {
  const { failed, at } = check("rfc-v1", [...pinnedA("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`, `A: munmap($buf, 8192) = 0`,
    `A: lsof("/mnt/pmem/a")`, `> A 3u /mnt/pmem/a`, `A: open("/mnt/pmem/c", O_RDWR) = 5`, `A: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 5, 0)`, `A: close(3) = 0`]);
  assert.deepEqual(failed("pinner-visible").map((v) => v.line), [at(11)]);
});

test("pinner-visible: /proc/locks alone can name the pinner (mr-owned keeps the lease of an io_uring buffer)", () => {
  const { rep } = check("mr-owned", [
    `A: open("/mnt/pmem/a", O_RDWR) = 3`, `A: fcntl(3, F_SETLEASE, F_LAYOUT) = 0`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
    `A: io_uring_setup(4) = 4`, `A: io_uring_register_buffers(4, $buf, 8192) = 0`, `A: munmap($buf, 8192) = 0`, `A: close(3) = 0`,
    `A: lsof("/mnt/pmem/a")`, `>`, `A: cat("/proc/locks")`, `> 1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF`,
  ]);
  assert.deepEqual(rep.violations, []);
});

test("pinner-visible: RFC v2's file_pins names a child that holds only the context", () => {
  const { rep } = check("rfc-v2", [...pinnedA("F_LAYOUT|F_EXCLUSIVE"), `A: fork() = K`, `K: close(3) = 0`, `K: munmap($buf, 8192) = 0`,
    `A: exit(0) = ?`, `K: cat("/proc/K/file_pins")`, `> 4: /dev/infiniband/uverbs0`, `>    /mnt/pmem/a`]);
  assert.deepEqual(rep.violations, []);
});

test("pinner-visible: under mr-owned the MR keeps its lease (the file's F_UNLCK is EAGAIN) and rdma names its registrant with the file", () => {
  const { rep } = check("mr-owned", [...pinnedA("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) = -1 EAGAIN`, `A: munmap($buf, 8192) = 0`, `A: close(3) = 0`,
    `A: cat("/proc/locks")`, `> 1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF`, `A: rdma("resource show mr")`, `> mrn 1 mrlen 8192 pdn 1 pid A file /mnt/pmem/a`]);
  assert.deepEqual(rep.violations, []);
  // The rdma view does not name the holder of an io_uring buffer; under mr-owned the buffer owns
  // the lease it was taken under too, so the file cannot drop it and /proc/locks names its holder.
  const uring = check("mr-owned", [
    `A: open("/mnt/pmem/a", O_RDWR) = 3`, `A: fcntl(3, F_SETLEASE, F_LAYOUT) = 0`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
    `A: io_uring_setup(4) = 4`, `A: io_uring_register_buffers(4, $buf, 8192) = 0`, `A: fcntl(3, F_SETLEASE, F_UNLCK) = -1 EAGAIN`, `A: munmap($buf, 8192) = 0`, `A: close(3) = 0`,
    `A: cat("/proc/locks")`, `> 1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF`, `A: rdma("resource show mr")`, `>`,
  ]);
  assert.deepEqual(uring.rep.violations, []);
  assert.deepEqual(uring.failed("pinner-visible"), []);
});

test("pinner-visible: a view of another file, or a process unrelated to the pin, names nobody", () => {
  // B has the pinned file open, but holds neither the context nor the lease: it cannot release the pin.
  const { failed, at } = check("rfc-v1", [...pinnedA("F_LAYOUT"), `B: open("/mnt/pmem/a", O_RDONLY) = 3`, `B: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0)`,
    `A: open("/mnt/pmem/c", O_RDWR) = 5`, `A: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 5, 0)`, `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`, `A: munmap($buf, 8192) = 0`, `A: close(3) = 0`]);
  assert.deepEqual(failed("pinner-visible").map((v) => v.line), [at(12)]);
});

// --- no-corruption -----------------------------------------------------------------------

test("no-corruption names the io_uring buffer and the file it pinned, when eviction frees the block", () => {
  const { failed, at } = check("rfc-v1", [
    `A: open("/mnt/pmem/a", O_RDWR) = 3`, `A: fcntl(3, F_SETLEASE, F_LAYOUT) = 0`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
    `A: io_uring_setup(4) = 4`, `A: io_uring_register_buffers(4, $buf, 8192) = 0`, `R: unlink("/mnt/pmem/a") = 0`, `A: munmap($buf, 8192) = 0`, `A: close(3) = 0`,
  ]);
  assert.deepEqual(failed("no-corruption").map((v) => [v.line, v.detail]), [[at(7), "block 0 of /mnt/pmem, pinned by io_uring buffer 1 for /mnt/pmem/a, was freed while the device can still write it"]]);
});

// --- no-innocent-hang --------------------------------------------------------------------

test("no-innocent-hang: a last close that sleeps on pins it does not hold (sticky, close=block) hangs", () => {
  // K kept the file and gave up the context; its last close waits for A's pins, which A never releases.
  const { failed, at } = check("sticky,close=block", [...pinnedA("F_LAYOUT"), `A: fork() = K`, `K: close(4) = 0`, `A: munmap($buf, 8192) = 0`, `A: close(3) = 0`,
    `K: munmap($buf, 8192) = 0`, `K: close(3) ...`, `sleep 5s`]);
  assert.deepEqual(failed("no-innocent-hang").map((v) => [v.line, v.detail]), [[at(11), "K waits in close with no timeout while holding no lease and no pin"]]);
  // The holder of the lease waiting in F_UNLCK for its own pins is no innocent.
  const own = check("sticky", [...pinnedA("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) ...`, `sleep 5s`]);
  assert.deepEqual(own.rep.violations, []);
});

// --- recoverable -------------------------------------------------------------------------

/** sticky: A pins a; K shares the context but not the file, so no view names it. */
const hiddenSharer = [...pinnedA("F_LAYOUT"), `A: fork() = K`, `K: munmap($buf, 8192) = 0`, `K: close(3) = 0`];

test("recoverable: a refused ftruncate, fallocate or O_TRUNC open is retried on its file after the kill", () => {
  for (const [call, ret] of [[`B: ftruncate(3, 0)`, "-1 ETXTBSY"], [`B: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 4096)`, "-1 ETXTBSY"], [`B: open("/mnt/pmem/a", O_RDWR|O_TRUNC)`, "-1 ETXTBSY"]] as const) {
    const alone = check("sticky", [...pinnedA("F_LAYOUT"), `B: open("/mnt/pmem/a", O_RDWR) = 3`, `${call} = ${ret}`]);
    assert.deepEqual(alone.failed("recoverable"), [], call);
    const shared = check("sticky", [...hiddenSharer, `B: open("/mnt/pmem/a", O_RDWR) = 3`, `${call} = ${ret}`]);
    assert.deepEqual(shared.failed("recoverable").map((v) => [v.line, v.detail]), [[shared.at(10), `killing A does not let B's ${call.slice(3, call.indexOf("("))} of /mnt/pmem/a succeed`]], call);
  }
});

test("recoverable: root's retry of a dead caller's fallocate goes through the file, and fails while a hidden sharer keeps the pins", () => {
  const alone = check("sticky", [...pinnedA("F_LAYOUT"), `A: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 4096) = -1 ETXTBSY`]);
  assert.deepEqual(alone.failed("recoverable"), []);
  const shared = check("sticky", [...hiddenSharer, `A: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 4096) = -1 ETXTBSY`]);
  assert.deepEqual(shared.failed("recoverable").map((v) => v.detail), ["killing A does not let A's fallocate of /mnt/pmem/a succeed"]);
});

test("recoverable: EDEADLK for the holder's own change counts as a refusal (rfc-v2)", () => {
  // K keeps the file (and the exclusive lease with it) but gave up the context: after A is
  // killed, root's truncate still meets the exclusive lease.
  const { failed, at } = check("rfc-v2", [...pinnedA("F_LAYOUT|F_EXCLUSIVE"), `A: fork() = K`, `K: close(4) = 0`, `A: truncate("/mnt/pmem/a", 0) = -1 EDEADLK`]);
  assert.deepEqual(failed("recoverable").map((v) => [v.line, v.detail]), [[at(8), "killing A does not let A's truncate of /mnt/pmem/a succeed"]]);
  const alone = check("rfc-v2", [...pinnedA("F_LAYOUT|F_EXCLUSIVE"), `A: truncate("/mnt/pmem/a", 0) = -1 EDEADLK`]);
  assert.deepEqual(alone.rep.violations, []);
});

test("recoverable: a change asleep on pins must end once the named pinners are killed", () => {
  // exclusive: A's plain layout lease is gone, its pins stay; B's truncate waits for them.
  const steps = [...pinnedA("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`, `B: truncate("/mnt/pmem/a", 0) ...`];
  assert.deepEqual(check("exclusive", steps).failed("recoverable"), []);
  const shared = check("exclusive", [...hiddenSharer, `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`, `B: truncate("/mnt/pmem/a", 0) ...`]);
  assert.deepEqual(shared.failed("recoverable").map((v) => [v.line, v.detail]), [[shared.at(10), "killing A does not let B's truncate of /mnt/pmem/a succeed"]]);
});

test("recoverable: the holders of the file's layout leases that /proc/locks names are killed too", () => {
  // exclusive: C's exclusive lease (no pins) refuses B's truncate; A's pins are in play.
  const { rep } = check("exclusive", [`C: open("/mnt/pmem/a", O_RDONLY) = 3`, `C: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE) = 0`, ...pinnedA("F_LAYOUT"),
    `B: truncate("/mnt/pmem/a", 0) = -1 ETXTBSY`]);
  assert.deepEqual(rep.violations, []);
});

test("recoverable: a lease break alone is no refusal because of pins, nor a refusal of a file without pins", () => {
  // sticky's F_UNLCK sleeps on its own pins (not a layout change); rfc-v1's truncate of another file is refused by nothing.
  const own = check("sticky", [...pinnedA("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) ...`]);
  assert.deepEqual(own.rep.violations, []);
  const other = check("exclusive", [...pinnedA("F_LAYOUT"), `C: open("/mnt/pmem/c", O_RDONLY) = 3`, `C: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE) = 0`, `B: truncate("/mnt/pmem/c", 0) = -1 ETXTBSY`]);
  assert.deepEqual(other.rep.violations, []);
});
