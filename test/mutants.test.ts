// Rules that a mutation audit found untested (issue 13): each test fails when its rule is
// broken. Timing at exactly the break time, the policies' pins during breaks, and what the
// five monitors count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actuals, run, DAX, pinned, HDR } from "./helpers.js";

const ONE_SECOND = HDR.replace("@fs", "@sysctl fs.lease-break-time=1\n@fs");
const lines = (r: { steps: { line: number; step: string | null }[] }, re: RegExp) => r.steps.filter((s) => re.test(s.step ?? "")).map((s) => s.line);

test("past_time is strict: at exactly the break time a lease is still breaking, a jiffy later time_out_leases removes it", () => {
  const r = actuals([
    `H: open("/mnt/t/f", O_RDONLY)`, `H: fcntl(3, F_SETLEASE, F_RDLCK)`,
    `B: open("/mnt/t/f", O_WRONLY|O_NONBLOCK)`, // the break starts at 0 ms: break time 1000 ms
    `sleep 1000ms`, `H: fcntl(3, F_GETLEASE)`, `H: cat("/proc/locks")`,
    `sleep 1ms`, `H: fcntl(3, F_GETLEASE)`, `H: cat("/proc/locks")`,
  ].join("\n"), ONE_SECOND);
  assert.deepEqual(r.slice(2), ["-1 EAGAIN", null, "F_UNLCK", "1: LEASE BREAKING UNLCK H /mnt/t/f 0 EOF", null, "F_UNLCK", ""]);
});

test("a downgrade is strict too: at the downgrade time the write lease is still breaking, then it is a read lease", () => {
  const r = actuals([
    `H: open("/mnt/t/f", O_RDONLY)`, `H: fcntl(3, F_SETLEASE, F_WRLCK)`,
    `B: open("/mnt/t/f", O_RDONLY|O_NONBLOCK)`, `sleep 1000ms`, `H: fcntl(3, F_GETLEASE)`, `H: cat("/proc/locks")`,
    `sleep 1ms`, `H: fcntl(3, F_GETLEASE)`, `H: cat("/proc/locks")`,
  ].join("\n"), ONE_SECOND);
  assert.deepEqual(r.slice(4), ["F_RDLCK", "1: LEASE BREAKING READ H /mnt/t/f 0 EOF", null, "F_RDLCK", "1: LEASE ACTIVE READ H /mnt/t/f 0 EOF"]);
});

test("a blocked breaker sleeps until a jiffy past the break time (__break_lease: break_time - jiffies, then once more)", () => {
  const body = [
    `H: open("/mnt/t/f", O_RDONLY)`, `H: fcntl(3, F_SETLEASE, F_RDLCK)`, `B: open("/mnt/t/f", O_WRONLY) ...`,
    `sleep 1000ms`, `H: cat("/proc/locks")`, `sleep 1ms`, `H: cat("/proc/locks")`, `B: <... open resumed>`,
  ].join("\n");
  assert.deepEqual(actuals(body, ONE_SECOND).slice(2), [
    "...", null, "1: LEASE BREAKING UNLCK H /mnt/t/f 0 EOF\n1: -> LEASE BREAKER WRITE B <none>:0 0 EOF", null, "", "3",
  ]);
});

test("rfc-v1: a pin under a layout lease that is being broken is allowed (RFC patch 04's mapping_inode_has_layout), and the truncate then fails over it", () => {
  const r = actuals([
    `A: open("/mnt/pmem/a", O_RDWR)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`,
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`, `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`,
    `B: truncate("/mnt/pmem/a", 0) ...`, `A: ibv_reg_mr($pd, $buf, 8192, IBV_ACCESS_LOCAL_WRITE)`, `B: <... truncate resumed>`,
  ].join("\n"), DAX, "rfc-v1");
  assert.deepEqual(r.slice(5), ["...", "1", "-1 ETXTBSY"]);
});

test("sticky: a lease with pins is never broken, so it never times out: a punch beside the pins recalls only the other lease", () => {
  // The pinned lease stays ACTIVE past the break time while the other one is timed out
  // (the timesOut hook has nothing left to refuse: a lease with pins never gets a break time).
  const r = actuals(pinned("F_LAYOUT").replace("8192, IBV", "4096, IBV") + "\n" + [
    `C: open("/mnt/pmem/a", O_RDONLY)`, `C: fcntl(3, F_SETLEASE, F_LAYOUT)`,
    `B: open("/mnt/pmem/a", O_RDWR)`, `B: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 4096, 4096) ...`,
    `sleep 1500ms`, `B: <... fallocate resumed>`, `B: cat("/proc/locks")`, `A: fcntl(3, F_GETLEASE)`,
  ].join("\n"), DAX + "@proc C uid=1000\n", "sticky");
  assert.deepEqual(r.slice(9), ["...", null, "0", "1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF", "F_LAYOUT"]);
});

test("no-corruption fails when a pinned block goes straight to another file (freed and reallocated in one step)", () => {
  // exclusive: D holds the last reference to the unlinked, pinned file a and a plain layout
  // lease on b; C's allocating write to b waits for that lease. D's exit evicts a (its
  // pinned block is freed) and drops the lease: C's write takes the block, all in one step.
  const hdr = `@expect no-corruption fails\n@expect pinner-visible fails\n@sysctl fs.lease-break-time=1\n@fs /mnt/pmem type=xfs dax=always size=1M\n@file /mnt/pmem/a size=4096 uid=1000\n@file /mnt/pmem/b size=0 uid=1000\n@proc A uid=1000\n@proc C uid=1000\n@proc D uid=1000\n@proc R uid=0\n`;
  const rep = run([
    `A: open("/mnt/pmem/a", O_RDWR) = 3`, `A: fcntl(3, F_SETLEASE, F_LAYOUT) = 0`, `A: mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR) = 4`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $buf, 4096, IBV_ACCESS_LOCAL_WRITE) = $mr`,
    `D: open("/mnt/pmem/a", O_RDONLY) = 3`, `D: open("/mnt/pmem/b", O_RDWR) = 4`, `D: fcntl(4, F_SETLEASE, F_LAYOUT) = 0`,
    `R: unlink("/mnt/pmem/a") = 0`, `A: munmap($buf, 4096) = 0`, `A: close(3) = 0`,
    `C: open("/mnt/pmem/b", O_RDWR) = 3`, `C: pwrite(3, "x", 1, 0) ...`, `D: exit(0)`, `C: <... pwrite resumed> = 1`,
  ].join("\n"), "t", hdr, "exclusive");
  assert.ok(rep.ok, JSON.stringify(rep.steps.filter((s) => !s.ok)));
  const v = rep.violations!.find((x) => x.property === "no-corruption");
  assert.ok(v, JSON.stringify(rep.violations));
  assert.equal(v.line, lines(rep, /^exit/)[0]);
  assert.match(v.detail, /block 0 of \/mnt\/pmem, pinned by MR 1 for \/mnt\/pmem\/a, was given to \/mnt\/pmem\/b/);
});

test("user-told holds while a pinned page is still the file's: the device's writes are the file's data", () => {
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@file /mnt/s/a size=8192\n@proc A\n`;
  const rep = run([`A: open("/mnt/s/a", O_RDWR)`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $b, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr`,
    `A: io_uring_setup(4) = 5`, `A: io_uring_register_buffers(5, $b, 8192) = 0`, `A: io_uring_read_fixed(5, 3, $b, 4, 100) = 4`,
    `NIC: rdma_write($mr, 4096, "kept") = 4`, `A: pread(3, "kept", 4, 4096) = 4`].join("\n"), "t", hdr);
  assert.ok(rep.ok, JSON.stringify(rep.steps.filter((s) => !s.ok)));
  assert.deepEqual(rep.violations, []);
});

test("pinner-visible counts live processes only: views that name a dead registrant name nobody", () => {
  // mr-owned: A's MR keeps the lease and the file; A forks K and dies. K shares the context
  // (the pins) but, once it lets go of the file, no view names K: lsof and /proc/locks name
  // the dead A, and the rdma tool shows no pid for a dead registrant (nldev.c fill_res_name_pid).
  const rep = run(pinned("F_LAYOUT") + `\nA: fork() = K\nA: exit(0)\nK: lsof("/mnt/pmem/a")\nK: munmap($buf, 8192)\nK: close(3)\nK: rdma("resource show mr")\nK: cat("/proc/locks")`, "t", DAX, "mr-owned");
  assert.equal(rep.steps[8]!.actual, "K 3u /mnt/pmem/a\nK mem /mnt/pmem/a\nA mr1 /mnt/pmem/a");
  assert.equal(rep.steps[11]!.actual, "mrn 1 mrlen 8192 pdn 1 file /mnt/pmem/a");
  assert.equal(rep.steps[12]!.actual, "1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF");
  assert.deepEqual(rep.violations!.map((v) => [v.property, v.line]), [["pinner-visible", rep.steps[10]!.line]]);
});

test("recoverable: when the refused caller was itself a named pinner, root retries by path, and fails while a hidden sharer keeps the pins", () => {
  // sticky: A pins its file, forks K (the context is shared), K lets go of the file. A's own
  // truncate is refused; killing A (the only named pinner) leaves K's pins: root's truncate fails too.
  const rep = run(pinned("F_LAYOUT") + `\nA: fork() = K\nK: munmap($buf, 8192)\nK: close(3)\nA: truncate("/mnt/pmem/a", 0)`, "t", DAX, "sticky");
  assert.equal(rep.steps[9]!.actual, "-1 ETXTBSY");
  const v = rep.violations!.find((x) => x.property === "recoverable");
  assert.ok(v, JSON.stringify(rep.violations));
  assert.equal(v.line, rep.steps[9]!.line);
  assert.match(v.detail, /killing A does not let A's truncate of \/mnt\/pmem\/a succeed/);
  // Without the sharer the same refusal is recoverable: killing A releases every pin.
  const alone = run(pinned("F_LAYOUT") + `\nA: truncate("/mnt/pmem/a", 0)`, "t", DAX, "sticky");
  assert.equal(alone.steps[6]!.actual, "-1 ETXTBSY");
  assert.equal(alone.violations!.find((x) => x.property === "recoverable"), undefined);
});

test("no-innocent-hang counts a layout recall that never times out (fs.lease-break-time=0)", () => {
  const rep = run(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nB: truncate("/mnt/pmem/a", 0) ...\nsleep 10s`, "t",
    DAX.replace("fs.lease-break-time=1", "fs.lease-break-time=0"), "rfc-v1");
  assert.equal(rep.steps[2]!.actual, "...");
  assert.deepEqual(rep.violations!.map((v) => [v.property, v.line]), [["no-innocent-hang", rep.steps[2]!.line]]);
  // With a break time the same recall ends: no hang.
  const timed = run(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nB: truncate("/mnt/pmem/a", 0) ...\nsleep 10s\nB: <... truncate resumed> = 0`, "t", DAX, "rfc-v1");
  assert.ok(timed.ok);
  assert.deepEqual(timed.violations, []);
});
