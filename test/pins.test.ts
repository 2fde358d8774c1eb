// Long-term pins (src/kernel/gup.ts, layout.ts): which page a pin holds, what a private
// mapping pins, faults that allocate FS-DAX blocks, a device too full to fault in, and
// which leases a pin or a sleeping close depends on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { run, actuals, DAX, pinned } from "./helpers.js";

const HDR = `@fs /mnt/s type=tmpfs size=1M
@fs /mnt/e type=ext4
@fs /mnt/pmem type=xfs dax=always size=64K
@file /mnt/s/c size=8192 uid=1000
@file /mnt/e/d size=8192 uid=1000
@file /mnt/pmem/a size=4096 uid=1000
@file /mnt/pmem/fill size=57344 uid=1000
@proc A uid=1000
@proc B uid=1000
`;

function ok(policy: string, steps: string[]) {
  const rep = run(steps.join("\n"), "t", HDR, policy);
  // Every step as written; the properties (a failed one without @expect fails the run) are asserted apart.
  assert.deepEqual(rep.steps.filter((s) => !s.ok), []);
  return rep;
}

const ctx = [`A: open("/dev/infiniband/uverbs0", O_RDWR) = 3`, `A: ibv_alloc_pd(3) = $pd`];

test("two pins of one page-cache page hold the same page: once orphaned, what the device writes through one it reads through the other", () => {
  ok("linux", [...ctx, `A: open("/mnt/s/c", O_RDWR) = 4`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 4, 0) = $s`,
    `A: ibv_reg_mr($pd, $s, 8192, IBV_ACCESS_LOCAL_WRITE) = $m1`, `A: ibv_reg_mr($pd, $s, 8192, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_READ) = $m2`,
    `B: truncate("/mnt/s/c", 0) = 0`, `NIC: rdma_write($m1, 0, "shared") = 6`, `NIC: rdma_read($m2, 0, 6) = "shared"`]);
});

test("a write pin of a private mapping pins a copy of the file's data: the device reads it, and its writes stay out of the file", () => {
  ok("linux", [...ctx, `A: open("/mnt/e/d", O_RDWR) = 4`, `A: pwrite(4, "hello", 5, 0) = 5`,
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE, 4, 0) = $p`, `A: ibv_reg_mr($pd, $p, 8192, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_READ) = $m`,
    `NIC: rdma_read($m, 0, 5) = "hello"`, `NIC: rdma_write($m, 0, "HELLO") = 5`, `A: pread(4, "hello", 5, 0) = 5`]);
});

test("a pin faults in a missing FS-DAX block; on a full device the fault fails (EFAULT) and the pages pinned so far are let go", () => {
  const rep = ok("rfc-v1", [...ctx, `A: open("/mnt/pmem/a", O_RDWR) = 4`, `A: fcntl(4, F_SETLEASE, F_LAYOUT) = 0`, `A: ftruncate(4, 8192) = 0`,
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 4, 0) = $d`, `A: ibv_reg_mr($pd, $d, 8192, IBV_ACCESS_LOCAL_WRITE) = $m`,
    `NIC: rdma_write($m, 4096, "fault") = 5`, `A: pread(4, "fault", 5, 4096) = 5`,
    `A: ftruncate(4, 16384) = 0`, `A: mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_SHARED, 4, 0) = $d2`,
    `A: ibv_reg_mr($pd, $d2, 16384, IBV_ACCESS_LOCAL_WRITE) = -1 EFAULT`, `A: cat("/proc/vmstat")`, `> nr_foll_pin_acquired 4`, `> nr_foll_pin_released 2`]);
  assert.deepEqual(rep.violations, []);
});

test("rfc-v1: a plain lease is no layout lease, a pin needs the latter", () => {
  const r = actuals(pinned("F_RDLCK").replace("O_RDWR)", "O_RDONLY)").replace("PROT_READ|PROT_WRITE", "PROT_READ").replace("IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE", "IBV_ACCESS_REMOTE_READ"), DAX, "rfc-v1");
  assert.deepEqual([r[1], r[5]], ["0", "-1 EPERM"]);
});

test("sticky, close=block: only the last close of the file whose lease holds pins sleeps", () => {
  const r = actuals(`B: open("/mnt/pmem/a", O_RDONLY)\nB: fcntl(3, F_SETLEASE, F_LAYOUT)\n` + pinned("F_LAYOUT") + `\nB: close(3)\nB: open("/mnt/pmem/a", O_RDONLY)\nB: close(3)\nA: munmap($buf, 8192)\nA: close(3) ...`, DAX, "sticky,close=block");
  assert.deepEqual(r.slice(8), ["0", "3", "0", "0", "..."]);
});
