// Shared blocks (FICLONE) and the blocks that move on write: the refcounts, copy on write,
// and that no-corruption catches a pinned block that a policy lets be shared or moved.
import { test } from "node:test";
import assert from "node:assert/strict";
import { run, actuals, DAX } from "./helpers.js";
import { ALL } from "../src/policy/registry.js";
import { PROPOSALS } from "../src/policy/policies.js";

const STICKY = PROPOSALS.find((p) => p.name === "sticky")!;

/** Runs `body` under a sticky whose layout changes do nothing: what no policy of the thread does. */
function underCowThrough(body: string) {
  ALL.push({ ...STICKY, name: "test-cow-through", configure: undefined, layoutChange: () => [] });
  try {
    return run(body, "t", DAX, "test-cow-through");
  } finally {
    ALL.pop();
  }
}

const CLONE = [
  `B: open("/mnt/pmem/a", O_RDWR)`,
  `B: pwrite(3, "b0", 2, 0)`,
  `B: pwrite(3, "b1", 2, 4096)`,
  `B: open("/mnt/pmem/b", O_RDWR)`,
  `B: ioctl(4, FICLONE, 3) = 0`,
].join("\n");

const PIN_PAGE1_READ = [
  `A: open("/mnt/pmem/a", O_RDWR)`,
  `A: fcntl(3, F_SETLEASE, F_LAYOUT)`,
  `A: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 4096) = $b1`,
  `A: open("/dev/infiniband/uverbs0", O_RDWR)`,
  `A: ibv_alloc_pd(4) = $pd`,
  `A: ibv_reg_mr($pd, $b1, 4096, IBV_ACCESS_REMOTE_READ) = $mr`,
].join("\n");

test("a write to a cloned file copies the block: the clone keeps its bytes, each file its own", () => {
  const a = actuals(`${CLONE}\nB: pwrite(4, "c0", 2, 0) = 2\nB: pread(3, "b0", 2, 0) = 2\nB: pread(4, "c0", 2, 0) = 2\nB: pread(4, "b1", 2, 4096) = 2`, DAX);
  assert.deepEqual(a.slice(-4), ["2", "2", "2", "2"]);
});

test("a policy that let a write move a read-pinned shared block would fail no-corruption: the NIC reads b's block as a's", () => {
  const r = underCowThrough(`${CLONE}\n${PIN_PAGE1_READ}\nB: pwrite(3, "a1", 2, 4096) = 2\nNIC: rdma_read($mr, 0, 2) = "b1"`);
  const v = r.violations!.find((x) => x.property === "no-corruption");
  assert.ok(v !== undefined, JSON.stringify(r.violations));
  assert.match(v.detail, /pinned by MR \d+ for \/mnt\/pmem\/a, was given to \/mnt\/pmem\/b/);
  // sticky itself refuses the write (ETXTBSY), and nothing is violated
  const s = run(`${CLONE}\n${PIN_PAGE1_READ}\nB: pwrite(3, "a1", 2, 4096) = -1 ETXTBSY`, "t", DAX, "sticky");
  assert.ok(s.ok, JSON.stringify(s.violations));
});

test("a policy that let FICLONE share a write-pinned block would fail no-corruption: the device writes both files", () => {
  const body = [
    `A: open("/mnt/pmem/a", O_RDWR)`,
    `A: fcntl(3, F_SETLEASE, F_LAYOUT)`,
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`,
    `A: ibv_alloc_pd(4) = $pd`,
    `A: ibv_reg_mr($pd, $buf, 8192, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE) = $mr`,
    `B: open("/mnt/pmem/a", O_RDONLY)`,
    `B: open("/mnt/pmem/b", O_RDWR)`,
    `B: ioctl(4, FICLONE, 3) = 0`,
  ].join("\n");
  const r = underCowThrough(body);
  const v = r.violations!.find((x) => x.property === "no-corruption");
  assert.ok(v !== undefined, JSON.stringify(r.violations));
  assert.match(v.detail, /was shared with \/mnt\/pmem\/b while the device can still write it/);
});

test("a write pin of a shared block copies it first: the NIC's writes reach a, not its clone", () => {
  const body = `${CLONE}
A: open("/mnt/pmem/a", O_RDWR)
A: fcntl(3, F_SETLEASE, F_LAYOUT)
A: mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf
A: open("/dev/infiniband/uverbs0", O_RDWR)
A: ibv_alloc_pd(4) = $pd
A: ibv_reg_mr($pd, $buf, 4096, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE) = $mr
NIC: rdma_write($mr, 0, "n0") = 2
B: pread(3, "n0", 2, 0) = 2
B: pread(4, "b0", 2, 0) = 2`;
  const r = run(body, "t", DAX, "sticky");
  assert.ok(r.ok, JSON.stringify(r.steps.filter((s) => !s.ok)));
});

test("FICLONE on ext4 and tmpfs is EOPNOTSUPP, across mounts EXDEV", () => {
  const hdr = `@fs /mnt/e type=ext4\n@fs /mnt/s type=tmpfs\n@file /mnt/e/a size=4096 uid=1000\n@file /mnt/e/b size=0 uid=1000\n@file /mnt/s/c size=4096 uid=1000\n@file /mnt/s/d size=0 uid=1000\n@proc H uid=1000\n`;
  const a = actuals(`H: open("/mnt/e/a", O_RDONLY)\nH: open("/mnt/e/b", O_RDWR)\nH: ioctl(4, FICLONE, 3)\nH: open("/mnt/s/c", O_RDONLY)\nH: open("/mnt/s/d", O_RDWR)\nH: ioctl(6, FICLONE, 5)\nH: ioctl(6, FICLONE, 3)`, hdr);
  assert.deepEqual([a[2], a[5], a[6]], ["-1 EOPNOTSUPP", "-1 EOPNOTSUPP", "-1 EXDEV"]);
});
