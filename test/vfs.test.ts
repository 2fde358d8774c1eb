// Descriptors, open files, names and data (fs/open.c, fs/file.c, fs/namei.c, the filesystems).
import { test } from "node:test";
import assert from "node:assert/strict";
import { actuals } from "./helpers.js";

const ROOT = `@fs /mnt/t type=ext4\n@file /mnt/t/f size=10\n@proc R uid=0\n@proc U uid=1000\n`;

test("descriptors are the lowest free number", () => {
  assert.deepEqual(actuals(`R: open("/mnt/t/f", O_RDONLY)\nR: open("/mnt/t/f", O_RDONLY)\nR: close(0)\nR: open("/mnt/t/f", O_RDONLY)`, ROOT), ["3", "4", "0", "0"]);
});

test("a descriptor is per process; fork copies the table", () => {
  assert.deepEqual(actuals(`R: open("/mnt/t/f", O_RDONLY)\nR: fork() = K\nK: close(3)\nR: close(3)\nK: close(3)`, ROOT), ["3", "K", "0", "0", "-1 EBADF"]);
});

test("the offset belongs to the open file description, shared by dup", () => {
  assert.deepEqual(actuals(`R: open("/mnt/t/f", O_RDWR)\nR: write(3, "abcdef", 6)\nR: dup(3)\nR: pread(4, "abcdef", 6, 0)\nR: write(4, "gh", 2)\nR: pread(3, "abcdefgh", 8, 0)`, ROOT),
    ["3", "6", "4", "6", "2", "8"]);
});

test("a read that finds other bytes fails its step and shows them", () => {
  const r = actuals(`R: open("/mnt/t/f", O_RDWR)\nR: write(3, "abc", 3)\nR: pread(3, "xyz", 3, 0) = 3`, ROOT);
  assert.equal(r[2], '3 "abc"');
});

test("permissions: mode bits for others, root's DAC override, the root-owned directory", () => {
  assert.deepEqual(actuals(`U: open("/mnt/t/f", O_WRONLY)\nU: open("/mnt/t/f", O_RDONLY)\nU: open("/mnt/t/g", O_CREAT|O_WRONLY, 0644)\nU: unlink("/mnt/t/f")\nR: open("/mnt/t/f", O_WRONLY)`, ROOT),
    ["-1 EACCES", "3", "-1 EACCES", "-1 EACCES", "3"]);
});

test("truncate and ftruncate: errors and sizes", () => {
  assert.deepEqual(actuals(`R: truncate("/mnt/t/f", -1)\nR: truncate("/mnt/t/nope", 0)\nR: truncate("/mnt/t", 0)\nR: truncate("/mnt/t/f", 3)\nR: open("/mnt/t/f", O_RDONLY)\nR: pread(3, "", 100, 0)`, ROOT),
    ["-1 EINVAL", "-1 ENOENT", "-1 EISDIR", "0", "3", "3"]);
});

test("rename replaces the target; unlink of an open file keeps the inode until the last close", () => {
  const hdr = ROOT + "@file /mnt/t/g size=4\n";
  assert.deepEqual(actuals(`R: open("/mnt/t/f", O_RDONLY)\nR: rename("/mnt/t/g", "/mnt/t/f")\nR: pread(3, "", 100, 0)\nR: open("/mnt/t/f", O_RDONLY)\nR: pread(4, "", 100, 0)\nR: open("/mnt/t/g", O_RDONLY)`, hdr),
    ["3", "0", "10", "4", "4", "-1 ENOENT"]);
});

test("fallocate on tmpfs knows only KEEP_SIZE and PUNCH_HOLE", () => {
  const hdr = `@fs /mnt/s type=tmpfs size=1M\n@file /mnt/s/f size=8192\n@proc R uid=0\n`;
  assert.deepEqual(actuals(`R: open("/mnt/s/f", O_RDWR)\nR: fallocate(3, FALLOC_FL_COLLAPSE_RANGE, 0, 4096)\nR: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 4096)`, hdr),
    ["3", "-1 EOPNOTSUPP", "0"]);
});

test("a full device: ENOSPC", () => {
  const hdr = `@fs /mnt/s type=ext4 size=64K bsize=4096\n@file /mnt/s/f size=61440\n@proc R uid=0\n`;
  assert.deepEqual(actuals(`R: open("/mnt/s/f", O_RDWR)\nR: pwrite(3, "x", 1, 61440)\nR: pwrite(3, "y", 1, 65536)`, hdr), ["3", "1", "-1 ENOSPC"]);
});

test("mmap: EACCES for a shared writable mapping of a read-only fd; EINVAL for an unaligned offset", () => {
  assert.deepEqual(actuals(`R: open("/mnt/t/f", O_RDONLY)\nR: mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0)\nR: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 100)\nR: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0) = $m\nR: munmap($m, 4096)`, ROOT),
    ["3", "-1 EACCES", "-1 EINVAL", "$m", "0"]);
});
