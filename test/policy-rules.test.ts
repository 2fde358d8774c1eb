// Each policy's hooks at the edges policies.test.ts leaves out: arguments a policy does not
// have, files that are not FS-DAX, writes that allocate, who is told, and who is killed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actuals, run, DAX } from "./helpers.js";

const HDR = `${DAX}@fs /mnt/x type=xfs dax=never size=1M\n@file /mnt/x/p size=8192 uid=1000\n@proc R uid=0\n`;
const pinA = (file: string, lease: string) => [
  `A: open("${file}", O_RDWR)`, `A: fcntl(3, F_SETLEASE, ${lease})`, `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
  `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $buf, 4096, IBV_ACCESS_LOCAL_WRITE) = $mr`,
].join("\n");
const acts = (policy: string, body: string) => actuals(body, HDR, policy);

test("F_SETLEASE arguments a policy does not have are EINVAL", () => {
  const body = `A: open("/mnt/pmem/a", O_RDONLY)\nA: fcntl(3, F_SETLEASE, 3)\nA: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)`;
  assert.deepEqual(acts("rfc-v1", body).slice(1), ["-1 EINVAL", "-1 EINVAL", "0"]);
  assert.deepEqual(acts("exclusive", body).slice(1), ["-1 EINVAL", "0", "0"]);
  // sigkill-optin: only the exclusive lease needs F_SETSIG first.
  assert.deepEqual(acts("sigkill-optin", body).slice(1), ["-1 EINVAL", "-1 EINVAL", "0"]);
});

test("layout leases are broken only for FS-DAX files: a truncate of page cache does not recall them", () => {
  for (const policy of ["rfc-v1", "rfc-v2", "sticky", "mr-owned", "sigkill-optin"]) {
    const lease = policy === "rfc-v2" || policy === "sigkill-optin" ? "F_LAYOUT|F_EXCLUSIVE" : "F_LAYOUT";
    const r = acts(policy, `A: open("/mnt/x/p", O_RDWR)\nA: fcntl(3, F_SETSIG, SIGUSR1)\nA: fcntl(3, F_SETLEASE, ${lease})\nB: truncate("/mnt/x/p", 0)\nA: --- none ---\nA: fcntl(3, F_GETLEASE)`);
    assert.deepEqual(r.slice(3, 5), ["0", "none"], policy);
  }
});

test("rfc-v1, sticky: a write that allocates changes the layout without recalling a layout lease", () => {
  for (const policy of ["rfc-v1", "sticky", "mr-owned"]) {
    const r = acts(policy, `A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nB: open("/mnt/pmem/a", O_RDWR)\nB: pwrite(3, "x", 1, 65536)\nA: --- none ---\nA: fcntl(3, F_GETLEASE)`);
    assert.deepEqual(r.slice(3), ["1", "none", "F_LAYOUT"], policy);
  }
});

test("rfc-v2: a plain layout lease is recalled and waited for", () => {
  const r = acts("rfc-v2", `A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nB: truncate("/mnt/pmem/a", 0) ...\nA: --- SIGIO ---\nA: fcntl(3, F_SETLEASE, F_UNLCK)\nB: <... truncate resumed>`);
  assert.deepEqual(r.slice(2), ["...", "SIGIO", "0", "0"]);
});

test("a punch beside the pins: sticky tells the holder of the pinned lease, mr-owned only when it refuses", () => {
  const body = pinA("/mnt/pmem/a", "F_LAYOUT") + `\nB: open("/mnt/pmem/a", O_RDWR)\nB: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 4096, 4096)\nA: --- none ---\nB: fallocate(3, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 4096)\nA: --- none ---`;
  assert.deepEqual(acts("sticky", body).slice(7), ["0", "SIGIO", "-1 ETXTBSY", "SIGIO"]);
  assert.deepEqual(acts("mr-owned", body).slice(7), ["0", "none", "-1 ETXTBSY", "SIGIO"]);
});

test("sigkill-optin: a third party's change kills exclusive holders only; plain layout leases are recalled", () => {
  const hdr = HDR + "@proc C uid=1000\n";
  const body = [`A: open("/mnt/pmem/a", O_RDWR)`, `A: fcntl(3, F_SETSIG, SIGKILL)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`,
    `C: open("/mnt/pmem/a", O_RDONLY)`, `C: fcntl(3, F_SETLEASE, F_LAYOUT)`, `B: truncate("/mnt/pmem/a", 0) ...`, `A: +++ killed by SIGKILL +++`,
    `C: +++ running +++`, `C: --- SIGIO ---`, `C: fcntl(3, F_SETLEASE, F_UNLCK)`, `B: <... truncate resumed>`].join("\n");
  assert.deepEqual(actuals(body, hdr, "sigkill-optin").slice(5), ["...", "killed by SIGKILL", "running", "SIGIO", "0", "0"]);
});

test("sigkill-optin: once the holder is killed, the change still waits for pins it left in a shared context", () => {
  const body = [`A: open("/mnt/pmem/a", O_RDWR)`, `A: fcntl(3, F_SETSIG, SIGKILL)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`,
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`, `A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`,
    `A: ibv_reg_mr($pd, $buf, 8192, IBV_ACCESS_LOCAL_WRITE) = $mr`, `A: fork() = K`, `K: munmap($buf, 8192)`, `K: close(3)`,
    `B: truncate("/mnt/pmem/a", 0) ...`, `A: +++ killed by SIGKILL +++`, `K: ibv_dereg_mr($mr)`, `B: <... truncate resumed>`].join("\n");
  const rep = run(body, "t", HDR, "sigkill-optin");
  assert.deepEqual(rep.steps.slice(10).map((s) => s.actual), ["...", "killed by SIGKILL", "0", "0"]);
  assert.deepEqual(rep.violations!.filter((v) => v.property === "no-corruption"), []);
});

test("rfc-v1: the holder's own truncate recalls its own plain layout lease (SIGIO to itself, EINTR), as Linux does with leases", () => {
  const r = acts("rfc-v1", `A: open("/mnt/pmem/a", O_RDWR)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nA: truncate("/mnt/pmem/a", 0)\nA: --- SIGIO ---\nA: fcntl(3, F_GETLEASE)`);
  assert.deepEqual(r.slice(2), ["-1 EINTR", "SIGIO", "F_UNLCK"]);
});

test("rfc-v1: a writer's open recalls plain leases only; a layout lease on the same file stays", () => {
  const hdr = HDR + "@proc C uid=1000\n";
  const r = actuals(`A: open("/mnt/pmem/a", O_RDONLY)\nA: fcntl(3, F_SETLEASE, F_LAYOUT)\nC: open("/mnt/pmem/a", O_RDONLY)\nC: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/pmem/a", O_WRONLY|O_NONBLOCK)\nA: --- none ---\nC: --- SIGIO ---\nC: cat("/proc/locks")`, hdr, "rfc-v1");
  assert.deepEqual(r.slice(4), ["-1 EAGAIN", "none", "SIGIO", "1: LEASE BREAKING UNLCK C /mnt/pmem/a 0 EOF\n2: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF"]);
});

test("setlayout: F_SETLAYOUT checks the owner, the file type and the argument; F_GETLAYOUT sees only its file's layout", () => {
  const hdr = HDR + "@proc O uid=2000\n";
  const r = actuals([`O: open("/mnt/pmem/a", O_RDONLY)`, `O: fcntl(3, F_SETLAYOUT, F_RDLCK)`, `R: open("/mnt/pmem", O_RDONLY)`, `R: fcntl(3, F_SETLAYOUT, F_RDLCK)`,
    `A: open("/mnt/pmem", O_RDONLY)`, `A: open("/mnt/pmem/a", O_RDONLY)`, `A: fcntl(4, F_SETLAYOUT, 7)`, `A: fcntl(4, F_SETLAYOUT, F_UNLCK)`, `A: fcntl(4, F_SETLEASE, F_RDLCK)`, `A: fcntl(4, F_GETLAYOUT)`,
    `A: open("/mnt/pmem/a", O_RDONLY)`, `A: fcntl(5, F_SETLAYOUT, F_RDLCK)`, `A: fcntl(4, F_GETLAYOUT)`, `A: fcntl(5, F_GETLAYOUT)`].join("\n"), hdr, "setlayout");
  assert.deepEqual(r.slice(1), ["-1 EACCES", "3", "-1 EINVAL", "3", "4", "-1 EINVAL", "-1 EAGAIN", "0", "F_UNLCK", "5", "0", "F_UNLCK", "F_RDLCK"]);
});
