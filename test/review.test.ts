// Regressions for what the second reading found.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actuals, run, DAX, pinned } from "./helpers.js";
import { parseScenario } from "../src/scenario/parse.js";
import { ScriptError } from "../src/scenario/error.js";

test("a resumed call that never ran, and a child whose parent could not fork, report ? instead of crashing", () => {
  const hdr = `@fs /mnt/t type=ext4\n@file /mnt/t/a size=10\n@proc A\n@proc B\n`;
  assert.deepEqual(actuals(`A: kill(B, SIGKILL)\nB: open("/mnt/t/a", O_RDONLY) ...\nB: <... open resumed>`, hdr), ["0", "?", "?"]);
  assert.deepEqual(actuals(`A: exit(0)\nA: fork() = C\nC: cat("/proc/locks")\nC: +++ running +++`, hdr), ["?", "?", "?", "?"]);
});

test("an @file larger than its @fs is a script error", () => {
  assert.throws(() => parseScenario(`@scenario s\n@fs /mnt/t type=ext4 size=64K\n@file /mnt/t/a size=1M\n`, "s.scn"),
    (e: unknown) => e instanceof ScriptError && /do not fit its size/.test(e.message));
});

test("a private write mapping of an FS-DAX file is refused for long-term pins today (check_vma_flags)", () => {
  const hdr = DAX.replace("@proc B uid=1000", "@proc B uid=1000");
  const r = actuals(`A: open("/mnt/pmem/a", O_RDWR)\nA: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE, 3, 0) = $p\nA: io_uring_setup(4)\nA: io_uring_register_buffers(4, $p, 8192)`, hdr);
  assert.equal(r[3], "-1 EOPNOTSUPP");
});

test("an evicted file's pinned page is an orphan: a new file never sees the device's writes", () => {
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@file /mnt/s/a size=8192\n@proc A\n`;
  const rep = run([`A: open("/mnt/s/a", O_RDWR)`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $b, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr`,
    `A: munmap($b, 8192)`, `A: close(3)`, `A: unlink("/mnt/s/a")`, `NIC: rdma_write($mr, 0, "hello") = 5`,
    `A: open("/mnt/s/c", O_RDWR|O_CREAT, 0644) = 3`, `A: pread(3, "", 5, 0) = 0`].join("\n"), "t", hdr);
  assert.deepEqual(rep.steps.filter((s) => !s.ok), []);
  // Nobody can be found through the file any more, and the device's bytes go nowhere.
  assert.deepEqual(rep.violations!.map((v) => v.property), ["pinner-visible", "user-told"]);
});

test("a pinned page-cache page is the file's page: the device sees writes made through the file", () => {
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@file /mnt/s/a size=8192\n@proc A\n`;
  const r = actuals([`A: open("/mnt/s/a", O_RDWR)`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $b, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr`,
    `A: pwrite(3, "hello", 5, 0)`, `NIC: rdma_read($mr, 0, 5)`].join("\n"), hdr);
  assert.equal(r[6], '"hello"');
});

test("sticky: no pin under a lease being broken, and a lease with pins is never timed out", () => {
  const r = actuals(`A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nB: truncate("/mnt/pmem/a", 0) ...\nA: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b\nA: open("/dev/infiniband/uverbs0", O_RDWR)\nA: ibv_alloc_pd(4) = $pd\nA: ibv_reg_mr($pd, $b, 8192, IBV_ACCESS_LOCAL_WRITE)`, DAX, "sticky");
  assert.equal(r[6], "-1 EPERM");
  const held = actuals(pinned("F_LAYOUT") + `\nB: truncate("/mnt/pmem/a", 0)\nsleep 3s\nA: fcntl(3, F_GETLEASE)`, DAX, "sticky");
  assert.deepEqual(held.slice(6), ["-1 ETXTBSY", null, "F_LAYOUT"]);
});

test("setlayout: a layout and a lease on one file description are separate", () => {
  const r = actuals(`A: open("/mnt/pmem/a", O_RDONLY)\nA: fcntl(3, F_SETLAYOUT, F_RDLCK)\nA: fcntl(3, F_SETLEASE, F_RDLCK)\nA: fcntl(3, F_GETLAYOUT)\nA: fcntl(3, F_SETLEASE, F_UNLCK)\nA: fcntl(3, F_GETLAYOUT)\nA: fcntl(3, F_GETLEASE)`, DAX, "setlayout");
  assert.deepEqual(r.slice(1), ["0", "0", "F_RDLCK", "0", "F_RDLCK", "F_UNLCK"]);
});

test("sticky: a layout lease with no pins is recalled even when another has pins", () => {
  const r = actuals(pinned("F_LAYOUT").replace("8192, IBV", "4096, IBV") + `\nC: open("/mnt/pmem/a", O_RDONLY)\nC: fcntl(3, F_SETLEASE, F_LAYOUT)\nB: open("/mnt/pmem/a", O_RDWR)\nB: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 4096, 4096) ...\nC: --- SIGIO ---\nC: fcntl(3, F_GETLEASE)`, DAX + "@proc C uid=1000\n", "sticky");
  assert.deepEqual(r.slice(9), ["...", "SIGIO", "F_UNLCK"]);
});

test("no-innocent-hang: a wait on pins that the pinner ends by itself is not a hang", () => {
  const rep = run(pinned("F_LAYOUT|F_EXCLUSIVE") + `\nA: fcntl(3, F_SETLEASE, F_UNLCK)\nB: truncate("/mnt/pmem/a", 0) ...\nA: ibv_dereg_mr($mr)\nB: <... truncate resumed> = 0`, "t", DAX, "rfc-v2");
  assert.ok(rep.ok, JSON.stringify(rep.steps.filter((s) => !s.ok)));
  assert.deepEqual(rep.violations, []);
});

test("a layout breaker whose unlinked file is evicted while it sleeps goes on without it (found by the pins generator)", () => {
  // rfc-v1: B's truncate waits for A's layout lease; root unlinks the file and A's last close
  // evicts it (its lease with it, and its pinned blocks are freed: no-corruption fails).
  const rep = run(pinned("F_LAYOUT") + `\nA: munmap($buf, 8192)\nB: truncate("/mnt/pmem/a", 0) ...\nR: unlink("/mnt/pmem/a")\nA: close(3)\nB: <... truncate resumed>`, "t", DAX + "@proc R uid=0\n", "rfc-v1");
  assert.equal(rep.steps[7]!.actual, "...");
  assert.notEqual(rep.steps[10]!.actual, "...");
  assert.deepEqual(rep.violations!.map((v) => [v.property, v.line]).filter(([p]) => p === "no-corruption"), [["no-corruption", rep.steps[9]!.line]]);
});
