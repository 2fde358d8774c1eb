// Sleeps on pins and how they end (src/kernel/sched.ts, layout.ts): a caught signal ends
// them with EINTR, the pins going ends them, a sticky F_UNLCK waits for its own lease's
// pins only, an open that slept on a lease may sleep again on pins, and a file evicted
// under a sleeper lets it go on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { run, DAX } from "./helpers.js";

const HDR = `${DAX}@proc R uid=0\n`;
const pin = (lease: string, mode = "O_RDWR", prot = "PROT_READ|PROT_WRITE", access = "IBV_ACCESS_LOCAL_WRITE") => [
  `A: open("/mnt/pmem/a", ${mode}) = 3`, `A: fcntl(3, F_SETLEASE, ${lease}) = 0`, `A: mmap(NULL, 8192, ${prot}, MAP_SHARED, 3, 0) = $buf`,
  `A: open("/dev/infiniband/uverbs0", O_RDWR) = 4`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $buf, 8192, ${access}) = $mr`,
];

function ok(policy: string, steps: string[]) {
  const rep = run(steps.join("\n"), "t", HDR, policy);
  assert.ok(rep.ok, JSON.stringify(rep.steps.filter((s) => !s.ok)));
  return rep;
}

test("a wait for pinned pages ends with EINTR on a caught signal, and with the change once the pins go", () => {
  ok("exclusive", [...pin("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`,
    `B: truncate("/mnt/pmem/a", 0) ...`, `A: kill(B, SIGUSR1) = 0`, `B: <... truncate resumed> = -1 EINTR`, `B: --- SIGUSR1 ---`,
    `B: truncate("/mnt/pmem/a", 0) ...`, `A: ibv_dereg_mr($mr) = 0`, `B: <... truncate resumed> = 0`]);
});

test("sticky: F_UNLCK waits for the pins taken under its own lease, not another's; a caught signal ends the wait", () => {
  // B's lease is older and has no pins: A's F_UNLCK still waits for A's pins.
  ok("sticky", [`B: open("/mnt/pmem/a", O_RDONLY) = 3`, `B: fcntl(3, F_SETLEASE, F_LAYOUT) = 0`, ...pin("F_LAYOUT"),
    `A: fcntl(3, F_SETLEASE, F_UNLCK) ...`, `B: kill(A, SIGUSR1) = 0`, `A: <... fcntl resumed> = -1 EINTR`, `A: --- SIGUSR1 ---`,
    `A: fcntl(3, F_SETLEASE, F_UNLCK) ...`, `B: cat("/proc/locks")`, `> 1: LEASE ACTIVE READ A /mnt/pmem/a 0 EOF`, `> 2: LEASE ACTIVE READ B /mnt/pmem/a 0 EOF`,
    `R: kill(A, SIGKILL) = 0`, `A: <... fcntl resumed> = ?`, `B: cat("/proc/locks")`, `> 1: LEASE ACTIVE READ B /mnt/pmem/a 0 EOF`]);
});

test("rfc-v2: an O_TRUNC open that waited out a lease sleeps again on the pins, and truncates once they go", () => {
  ok("rfc-v2", [...pin("F_LAYOUT|F_EXCLUSIVE", "O_RDONLY", "PROT_READ", "IBV_ACCESS_REMOTE_READ"), `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`,
    `B: open("/mnt/pmem/a", O_RDONLY) = 3`, `B: fcntl(3, F_SETLEASE, F_RDLCK) = 0`, `R: open("/mnt/pmem/a", O_RDWR|O_TRUNC) ...`,
    `B: fcntl(3, F_SETLEASE, F_UNLCK) = 0`, `B: cat("/proc/locks")`, `>`, `A: ibv_dereg_mr($mr) = 0`, `R: <... open resumed> = 3`, `R: pread(3, "", 5, 0) = 0`]);
});

test("a change asleep on the pins of a file that is evicted meanwhile goes on without it (exclusive frees the pinned block)", () => {
  const rep = run([...pin("F_LAYOUT"), `A: fcntl(3, F_SETLEASE, F_UNLCK) = 0`, `B: truncate("/mnt/pmem/a", 0) ...`,
    `R: unlink("/mnt/pmem/a") = 0`, `A: munmap($buf, 8192) = 0`, `A: close(3) = 0`, `B: <... truncate resumed>`].join("\n"), "t", HDR, "exclusive");
  assert.equal(rep.steps[7]!.actual, "...");
  assert.notEqual(rep.steps[11]!.actual, "...");
  assert.deepEqual(rep.violations!.filter((v) => v.property === "no-corruption").map((v) => v.line), [rep.steps[10]!.line]);
});
