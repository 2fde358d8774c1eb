// Each policy's rules, one by one, at the point where the kernel (or the patches) decides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actuals, run, DAX, pinned } from "./helpers.js";
import { parsePolicy, ALL } from "../src/policy/registry.js";

const at = (r: (string | null)[], i: number) => r[i];

test("linux: F_LAYOUT is EINVAL; FS-DAX is not long-term pinnable (EOPNOTSUPP)", () => {
  const r = actuals(pinned("F_LAYOUT"), DAX);
  assert.equal(at(r, 1), "-1 EINVAL");
  assert.equal(at(r, 5), "-1 EOPNOTSUPP");
});

test("linux: a long-term write pin of ext4 page cache is EFAULT, a read pin and tmpfs are allowed", () => {
  const hdr = `@fs /mnt/e type=ext4\n@fs /mnt/s type=tmpfs size=1M\n@file /mnt/e/a size=8192\n@file /mnt/s/a size=8192\n@proc A\n`;
  const body = (path: string, access: string) => [
    `A: open("${path}", O_RDWR)`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $b, 8192, ${access})`,
  ].join("\n");
  assert.equal(at(actuals(body("/mnt/e/a", "IBV_ACCESS_LOCAL_WRITE"), hdr), 4), "-1 EFAULT");
  assert.equal(at(actuals(body("/mnt/e/a", "IBV_ACCESS_REMOTE_READ"), hdr), 4), "1");
  assert.equal(at(actuals(body("/mnt/s/a", "IBV_ACCESS_LOCAL_WRITE"), hdr), 4), "1");
});

test("linux: io_uring fixed buffers pin tmpfs; a truncate does not wait for them (the page is orphaned)", () => {
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@file /mnt/s/a size=8192\n@proc A\n`;
  const r = run([
    `A: open("/mnt/s/a", O_RDWR) = 3`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b`,
    `A: io_uring_setup(4) = 4`, `A: io_uring_register_buffers(4, $b, 8192) = 0`,
    `A: cat("/proc/vmstat")`, `A: truncate("/mnt/s/a", 0) = 0`,
  ].join("\n"), "t", hdr);
  assert.ok(r.ok);
  assert.equal(r.steps[4]!.actual, "nr_foll_pin_acquired 2\nnr_foll_pin_released 0");
  assert.deepEqual(r.violations, []);
});

test("rfc-v1: FS-DAX pins need a layout lease (EPERM), then truncate breaks the lease and fails over pinned pages", () => {
  const none = actuals(pinned(null), DAX, "rfc-v1");
  assert.equal(at(none, 5), "-1 EPERM");
  const r = actuals(pinned("F_LAYOUT") + `\nA: fcntl(3, F_GETLEASE)\nB: truncate("/mnt/pmem/a", 0) ...\nA: --- SIGIO ---\nsleep 1500ms\nB: <... truncate resumed>\nA: fcntl(3, F_GETLEASE)\nB: truncate("/mnt/pmem/a", 8192)`, DAX, "rfc-v1");
  assert.equal(at(r, 6), "F_LAYOUT");
  assert.equal(at(r, 7), "...");
  assert.equal(at(r, 8), "SIGIO");
  assert.equal(at(r, 10), "-1 ETXTBSY");
  assert.equal(at(r, 11), "F_UNLCK");
});

test("rfc-v1: a hole punch over an unpinned sub-range succeeds, over a pinned one fails", () => {
  const body = [
    `A: open("/mnt/pmem/a", O_RDWR)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`,
    `A: mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 4096) = $buf`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`,
    `A: ibv_reg_mr($pd, $buf, 4096, IBV_ACCESS_LOCAL_WRITE) = $mr`, `A: fcntl(3, F_SETLEASE, F_UNLCK)`,
    `B: open("/mnt/pmem/a", O_RDWR)`,
    `B: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 4096)`,
    `B: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 4096, 4096)`,
  ].join("\n");
  const r = actuals(body, DAX, "rfc-v1");
  assert.deepEqual(r.slice(8), ["0", "-1 ETXTBSY"]);
});

test("exclusive: a third party's truncate fails with ETXTBSY before it starts, with no signal", () => {
  const r = actuals(pinned("F_LAYOUT|F_EXCLUSIVE") + `\nB: truncate("/mnt/pmem/a", 0)\nA: --- none ---\nB: open("/mnt/pmem/a", O_WRONLY)\nB: pwrite(3, "x", 1, 100000)`, DAX.replace("@proc B", "@file /mnt/pmem/c size=0\n@proc B"), "exclusive");
  assert.equal(at(r, 6), "-1 ETXTBSY");
  assert.equal(at(r, 7), "none");
  assert.equal(at(r, 9), "-1 ETXTBSY"); // a write that must allocate changes the layout too
});

test("exclusive: the holder's own truncate over its pinned pages waits (Jan Kara's self-deadlock)", () => {
  const rep = run(pinned("F_LAYOUT|F_EXCLUSIVE") + `\nA: truncate("/mnt/pmem/a", 0)`, "t", DAX, "exclusive");
  assert.equal(rep.steps[6]!.actual, "...");
});

test("rfc-v2: pins need F_LAYOUT|F_EXCLUSIVE set by the pinner; EDEADLK for the holder, ETXTBSY for others; the lease outlives close", () => {
  assert.equal(at(actuals(pinned("F_LAYOUT"), DAX, "rfc-v2"), 5), "-1 EPERM");
  const r = actuals(pinned("F_LAYOUT|F_EXCLUSIVE") + `\nA: truncate("/mnt/pmem/a", 0)\nB: truncate("/mnt/pmem/a", 0)\nA: munmap($buf, 8192)\nA: close(3)\nA: cat("/proc/locks")\nA: cat("/proc/A/file_pins")\nB: truncate("/mnt/pmem/a", 0)`, DAX, "rfc-v2");
  assert.equal(at(r, 6), "-1 EDEADLK");
  assert.equal(at(r, 7), "-1 ETXTBSY");
  assert.equal(at(r, 10), "1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF");
  assert.equal(at(r, 11), "4: /dev/infiniband/uverbs0\n/mnt/pmem/a");
  assert.equal(at(r, 12), "-1 ETXTBSY");
});

test("sticky: F_UNLCK sleeps until the pins are released", () => {
  const r = actuals(pinned("F_LAYOUT") + `\nA: fcntl(3, F_SETLEASE, F_UNLCK) ...\nB: cat("/proc/locks")\nB: kill(A, SIGKILL)\nA: <... fcntl resumed>`, DAX, "sticky");
  assert.equal(at(r, 6), "...");
  assert.equal(at(r, 9), "?");
});

test("sticky: the last close with pins kills the pinner (close=sigkill) or revokes its MR (close=revoke)", () => {
  const body = pinned("F_LAYOUT") + `\nA: munmap($buf, 8192)\nA: fork() = K\nK: close(3)\nK: close(4)\nA: close(3)\nA: +++ running +++\nNIC: rdma_write($mr, 0, "x")\nB: truncate("/mnt/pmem/a", 0)`;
  const kill = actuals(body, DAX, "sticky,close=sigkill");
  assert.equal(at(kill, 11), "killed by SIGKILL");
  assert.equal(at(kill, 13), "0");
  const revoke = actuals(body, DAX, "sticky,close=revoke");
  assert.equal(at(revoke, 11), "running");
  assert.equal(at(revoke, 12), "-1 EFAULT");
  assert.equal(at(revoke, 13), "0");
});

test("sticky: close=block makes the last close sleep until the pins go; a caught signal does not end it", () => {
  const r = actuals(pinned("F_LAYOUT") + `\nA: munmap($buf, 8192)\nA: fork() = K\nK: close(3)\nA: close(3) ...\nB: kill(A, SIGTERM)\nB: lsof("/mnt/pmem/a")\nK: ibv_dereg_mr($mr)\nA: <... close resumed>\nA: --- SIGTERM ---`, DAX, "sticky,close=block");
  assert.deepEqual(r.slice(9), ["...", "0", "", "0", "0", "SIGTERM"]);
});

test("mr-owned: the lease belongs to the MR; rdma and lsof name the file", () => {
  const r = actuals(pinned("F_LAYOUT") + `\nA: munmap($buf, 8192)\nA: close(3)\nA: cat("/proc/locks")\nA: rdma("resource show mr")\nA: lsof("/mnt/pmem/a")\nB: truncate("/mnt/pmem/a", 0)\nA: ibv_dereg_mr($mr)\nA: cat("/proc/locks")`, DAX, "mr-owned");
  assert.equal(at(r, 8), "1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF");
  assert.equal(at(r, 9), "mrn 1 mrlen 8192 pdn 1 pid A file /mnt/pmem/a");
  assert.equal(at(r, 10), "A mr1 /mnt/pmem/a");
  assert.equal(at(r, 11), "-1 ETXTBSY");
  assert.equal(at(r, 13), "");
});

test("sigkill-optin: an exclusive lease needs F_SETSIG first; a third party's truncate kills the holder and goes on", () => {
  assert.equal(at(actuals(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`, DAX, "sigkill-optin"), 1), "-1 EINVAL");
  const r = actuals(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETSIG, SIGKILL)\n` + pinned("F_LAYOUT|F_EXCLUSIVE").split("\n").slice(1).join("\n") + `\nB: truncate("/mnt/pmem/a", 0)\nA: +++ killed by SIGKILL +++`, DAX, "sigkill-optin");
  assert.equal(at(r, 7), "0");
  assert.equal(at(r, 8), "killed by SIGKILL");
});

test("sigkill-optin: F_SETSIG with a catchable signal is no opt-in to SIGKILL (EINVAL)", () => {
  const r = actuals(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETSIG, SIGUSR1)\nA: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)\nA: fcntl(3, F_SETSIG, SIGKILL)\nA: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`, DAX, "sigkill-optin");
  assert.equal(at(r, 2), "-1 EINVAL");
  assert.equal(at(r, 4), "0");
});

test("odp: no pins; a truncate invalidates, and the NIC's access past EOF is a remote access error", () => {
  const r = actuals(pinned(null) + `\nA: cat("/proc/vmstat")\nNIC: rdma_write($mr, 0, "hi")\nB: truncate("/mnt/pmem/a", 0)\nNIC: rdma_write($mr, 0, "hi")`, DAX, "odp");
  assert.equal(at(r, 5), "$mr");
  assert.equal(at(r, 6), "nr_foll_pin_acquired 0\nnr_foll_pin_released 0");
  assert.deepEqual(r.slice(7), ["2", "0", "-1 EFAULT"]);
});

test("setlayout: F_SETLAYOUT takes the layout, F_SETLEASE F_LAYOUT is EINVAL", () => {
  const r = actuals(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nA: fcntl(3, F_SETLAYOUT, F_RDLCK)\nA: fcntl(3, F_GETLAYOUT)`, DAX, "setlayout");
  assert.deepEqual(r.slice(1), ["-1 EINVAL", "0", "F_RDLCK"]);
  assert.equal(at(actuals(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLAYOUT, F_RDLCK)`, DAX), 1), "-1 EINVAL");
});

test("policy names and options are checked", () => {
  assert.equal(ALL.length, 9);
  assert.equal(typeof parsePolicy("sticky,close=revoke"), "object");
  assert.equal(parsePolicy("sticky,close=never"), "sticky: close= is one of sigkill, revoke, block, hold");
  assert.equal(parsePolicy("linux,close=block"), "policy linux has no option close");
  assert.equal(parsePolicy("nope"), "unknown policy nope (daxlease policies lists them)");
});
