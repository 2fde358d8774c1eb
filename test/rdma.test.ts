// RDMA verbs, the NIC's DMA, and what the property monitors see.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actuals, run, DAX, pinned } from "./helpers.js";

test("two contexts get distinct protection domains and memory regions", () => {
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@file /mnt/s/a size=8192\n@file /mnt/s/b size=8192\n@proc A\n@proc B\n`;
  const mk = (p: string, f: string) => [
    `${p}: open("${f}", O_RDWR)`, `${p}: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $m${p}`,
    `${p}: open("/dev/infiniband/uverbs0", O_RDWR)`, `${p}: ibv_alloc_pd(4) = $pd${p}`,
  ].join("\n");
  const r = actuals(`${mk("A", "/mnt/s/a")}\n${mk("B", "/mnt/s/b")}\nA: ibv_reg_mr($pdA, $mA, 8192, IBV_ACCESS_LOCAL_WRITE) = $rA\nB: ibv_reg_mr($pdB, $mB, 8192, IBV_ACCESS_LOCAL_WRITE) = $rB\nNIC: rdma_write($rA, 0, "aa")\nNIC: rdma_write($rB, 0, "bb")\nA: pread(3, "aa", 2, 0)\nB: pread(3, "bb", 2, 0)\nA: rdma("resource show mr")`, hdr);
  assert.deepEqual(r.slice(8), ["$rA", "$rB", "2", "2", "2", "2", "mrn 1 mrlen 8192 pdn 1 pid A\nmrn 2 mrlen 8192 pdn 2 pid B"]);
});

test("the NIC's writes land in the file through a DAX pin (rfc-v1) and are read back", () => {
  const r = actuals(pinned("F_LAYOUT") + `\nNIC: rdma_write($mr, 4095, "xy")\nA: pread(3, "xy", 2, 4095)\nNIC: rdma_read($mr, 4095, 2)`, DAX, "rfc-v1");
  assert.deepEqual(r.slice(6), ["2", "2", '"xy"']);
});

test("no-corruption fails when an unlinked, closed, unmapped file is evicted under a pin and its block is reused", () => {
  const rep = run(pinned("F_LAYOUT") + `\nR: unlink("/mnt/pmem/a")\nA: munmap($buf, 8192)\nA: close(3)\nR: open("/mnt/pmem/b", O_RDWR)\nR: pwrite(3, "victim", 6, 0)\nNIC: rdma_write($mr, 0, "evil")\nR: pread(3, "evilim", 6, 0)`, "t", DAX + "@proc R uid=0\n", "rfc-v1");
  const v = rep.violations!.find((x) => x.property === "no-corruption");
  assert.ok(v, JSON.stringify(rep.violations));
  assert.match(v.detail, /pinned by MR 1 for \/mnt\/pmem\/a, was freed/);
  // The NIC's bytes are now in the other file.
  assert.equal(rep.steps[12]!.actual, "6");
});

test("user-told fails when the NIC writes into a tmpfs page that a truncate orphaned (today's Linux)", () => {
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@file /mnt/s/a size=8192\n@proc A\n@proc B\n`;
  const rep = run([`A: open("/mnt/s/a", O_RDWR)`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $b`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $b, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr`,
    `B: truncate("/mnt/s/a", 0) = 0`, `NIC: rdma_write($mr, 0, "lost") = 4`, `A: pread(3, "", 4, 0) = 0`].join("\n"), "t", hdr);
  // Every step went as written; the run fails on the property no @expect line allows.
  assert.ok(rep.steps.every((s) => s.ok));
  assert.equal(rep.ok, false);
  assert.equal(rep.violations!.length, 1);
  assert.equal(rep.violations![0]!.property, "user-told");
  assert.equal(rep.violations![0]!.line, 13);
});

test("pinner-visible: lsof names the child that keeps the file and the context; once it lets the file go, nothing does", () => {
  const rep = run(pinned("F_LAYOUT") + `\nA: fork() = K\nA: exit(0)\nK: lsof("/mnt/pmem/a")\nK: munmap($buf, 8192)\nK: close(3)\nK: rdma("resource show mr")`, "t", DAX, "rfc-v1");
  assert.equal(rep.steps[8]!.actual, "K 3u /mnt/pmem/a\nK mem /mnt/pmem/a");
  const v = rep.violations!.find((x) => x.property === "pinner-visible");
  assert.ok(v, JSON.stringify(rep.violations));
  assert.equal(v.line, rep.steps[10]!.line); // at the child's close: no view names the file any more
});

test("no-innocent-hang fails when a bystander's truncate waits forever on pins (rfc-v2, lease released)", () => {
  const rep = run(pinned("F_LAYOUT|F_EXCLUSIVE") + `\nA: fcntl(3, F_SETLEASE, F_UNLCK)\nB: truncate("/mnt/pmem/a", 0) ...`, "t", DAX, "rfc-v2");
  assert.deepEqual(rep.violations!.map((v) => [v.property, v.line]), [["no-innocent-hang", rep.steps[7]!.line]]);
});

test("a ring mapping split by munmap keeps its page offsets: the tail of a one-page ring has nothing to pin", () => {
  // Checked on 6.18 with a C program: after munmap of the first page, GUP of the tail is EFAULT.
  // A ring of 256 entries has 3 pages of rings (rings_size 9280 bytes): its tail page is there.
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@proc P\n`;
  const r = actuals([
    "P: io_uring_setup(4) = 3", "P: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = 0x7effffffe000",
    "P: munmap(0x7effffffe000, 4096)", "P: io_uring_register_buffers(3, 0x7efffffff000, 4096)",
    "P: io_uring_setup(256) = 4", "P: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 4, 0) = 0x7effffffd000",
    "P: munmap(0x7effffffd000, 4096)", "P: io_uring_register_buffers(4, 0x7effffffe000, 4096)",
  ].join("\n"), hdr);
  assert.deepEqual(r, ["3", "0x7effffffe000", "0", "-1 EFAULT", "4", "0x7effffffd000", "0", "0"]);
});
