// The property test of the core extended with pins: mappings of DAX and tmpfs files,
// RDMA contexts, memory regions, io_uring buffers, the NIC's DMA and layout leases,
// under every policy. Nothing throws, the invariants hold after every step, a replay is identical.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { encodeState, hashState } from "../src/kernel/snapshot.js";
import { ALL } from "../src/policy/registry.js";

const HEADER = `@scenario random-pins
@sysctl fs.lease-break-time=1
@fs /mnt/pmem type=xfs dax=always size=512K
@fs /mnt/s type=tmpfs size=256K
@file /mnt/pmem/a size=16384 uid=1000
@file /mnt/pmem/b size=4096 uid=1000
@file /mnt/s/c size=8192 uid=1000
@proc A uid=1000
@proc B uid=1000
@proc R uid=0

A: open("/mnt/pmem/a", O_RDWR)
A: open("/dev/infiniband/uverbs0", O_RDWR)
A: mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $ma
A: ibv_alloc_pd(4) = $pa
B: open("/mnt/s/c", O_RDWR)
B: open("/dev/infiniband/uverbs0", O_RDWR)
B: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $mb
B: ibv_alloc_pd(4) = $pb
B: io_uring_setup(4)
`;

const fd = fc.integer({ min: 3, max: 6 });
const file = fc.constantFrom("/mnt/pmem/a", "/mnt/pmem/b", "/mnt/s/c");
const off = fc.constantFrom(0, 4096, 8192);
const access = fc.constantFrom("IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE", "IBV_ACCESS_REMOTE_READ", "IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_ON_DEMAND");

/** Steps that only make sense for one process: A pins the DAX file, B pins tmpfs. */
const own = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("F_LAYOUT", "F_LAYOUT|F_EXCLUSIVE", "F_UNLCK").map((l) => `A: fcntl(3, F_SETLEASE, ${l})`) },
  { weight: 1, arbitrary: fc.constant(`A: fcntl(3, F_SETSIG, SIGUSR1)`) },
  { weight: 1, arbitrary: fc.constantFrom("F_RDLCK", "F_UNLCK").map((l) => `A: fcntl(3, F_SETLAYOUT, ${l})`) },
  { weight: 5, arbitrary: access.map((a) => `A: ibv_reg_mr($pa, $ma, 8192, ${a}) = $ra`) },
  { weight: 2, arbitrary: access.map((a) => `B: ibv_reg_mr($pb, $mb, 8192, ${a}) = $rb`) },
  { weight: 1, arbitrary: fc.constantFrom(`A: ibv_dereg_mr($ra)`, `B: ibv_dereg_mr($rb)`) },
  { weight: 2, arbitrary: fc.constant(`B: io_uring_register_buffers(5, $mb, 8192)`) },
  { weight: 1, arbitrary: fc.constant(`B: io_uring_unregister_buffers(5)`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("read", "write"), fc.constantFrom(3, 4, 5)).map(([op, d]) => `B: io_uring_${op}_fixed(5, ${d}, $mb, 5, 0)`) },
  { weight: 1, arbitrary: fc.constantFrom(`A: munmap($ma, 16384)`, `B: munmap($mb, 8192)`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("A", "B"), fc.constantFrom(3, 4)).map(([p, d]) => `${p}: close(${d})`) },
);

const call = fc.oneof(
  { weight: 2, arbitrary: file.map((f) => `open("${f}", O_RDWR)`) },
  { weight: 3, arbitrary: fc.tuple(file, off).map(([f, o]) => `truncate("${f}", ${o})`) },
  { weight: 2, arbitrary: fc.tuple(fd, off).map(([d, o]) => `fallocate(${d}, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, ${o}, 4096)`) },
  { weight: 1, arbitrary: fc.tuple(fd, off).map(([d, o]) => `fallocate(${d}, 0, ${o}, 8192)`) },
  { weight: 1, arbitrary: fc.tuple(fd, off).map(([d, o]) => `pwrite(${d}, "abc", 3, ${o})`) },
  { weight: 1, arbitrary: fc.tuple(fd, fd).map(([d, e]) => `ioctl(${d}, FICLONE, ${e})`) },
  { weight: 3, arbitrary: fd.map((d) => `close(${d})`) },
  { weight: 1, arbitrary: file.map((f) => `unlink("${f}")`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("A", "B"), fc.constantFrom("SIGKILL", "SIGUSR1")).map(([p, s]) => `kill(${p}, ${s})`) },
  { weight: 1, arbitrary: fc.constantFrom(`cat("/proc/locks")`, `cat("/proc/vmstat")`, `lsof("/mnt/pmem/a")`, `rdma("resource show mr")`, `cat("/proc/A/file_pins")`) },
);

const line = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(fc.constantFrom("A", "B", "R", "KID"), call).map(([p, c]) => `${p}: ${c}`) },
  { weight: 8, arbitrary: own },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom("$ra", "$rb"), off, fc.constantFrom(`"hello"`, `"x"`)).map(([m, o, b]) => `NIC: rdma_write(${m}, ${o % 8192}, ${b})`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom("$ra", "$rb"), off).map(([m, o]) => `NIC: rdma_read(${m}, ${o % 8192}, 5)`) },
  { weight: 1, arbitrary: fc.constantFrom("sleep 300ms", "sleep 1500ms") },
  { weight: 1, arbitrary: fc.constant("FORK") },
);

/** A handle named before any step binds it is NULL (0): a script may not use an unbound `$name`. */
function script(lines: string[]): string {
  let forks = 0;
  const bound = new Set(["ma", "pa", "mb", "pb"]);
  return HEADER + "\n" + lines.map((l) => {
    if (l === "FORK") return `A: fork() = K${forks++}`;
    const [call, bind] = l.split(" = ");
    l = call!.replace(/\$([a-z]+)/g, (all, n: string) => (bound.has(n) ? all : "0")) + (bind === undefined ? "" : ` = ${bind}`);
    if (bind !== undefined) bound.add(bind.slice(1));
    return l.startsWith("KID:") ? (forks === 0 ? "A" : `K${forks - 1}`) + l.slice(3) : l;
  }).join("\n") + "\n";
}

const RUNS = Number(process.env.DAXLEASE_PROPERTY_RUNS ?? 10000);
const policies = [...ALL.map((p) => p.name), "sticky,close=revoke", "sticky,close=block"];

test(`${RUNS} random sequences with pins, MRs and DMA under every policy: no exception, invariants hold, replay is identical`, () => {
  fc.assert(
    fc.property(fc.constantFrom(...policies), fc.array(line, { minLength: 1, maxLength: 25 }), (policy, lines) => {
      const text = script(lines);
      const a = runOnModel(parseScenario(text, "r.scn"), policy);
      const b = runOnModel(parseScenario(text, "r.scn"), policy);
      assert.equal(JSON.stringify(b.report), JSON.stringify(a.report));
      assert.equal(encodeState(b.state), encodeState(a.state));
      assert.equal(hashState(b.state), hashState(a.state));
    }),
    { numRuns: RUNS, seed: 20190606 },
  );
});
