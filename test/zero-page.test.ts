// A read-only long-term pin over a DAX hole or unwritten extent holds the zero page
// (fs/dax.c dax_fault_iter -> dax_load_hole), under every policy that lets the pin happen:
// Dave Chinner's "preallocate and write zeros" (issue 14, section 2). The scripts
// scenarios/proposals/read-pin-over-hole{,-odp}.scn show what the device then reads.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { policyVariants } from "../src/policy/registry.js";
import { PIN_DAX, PIN_PAGE } from "../src/kernel/include/state.js";

/** Three one-page files: h a hole, p preallocated (unwritten), z preallocated and written; then the lease, a mapping and a read-only MR each. */
function script(policy: string, access: string): string {
  const lease = (fd: number) => policy === "setlayout" ? [`A: fcntl(${fd}, F_SETLAYOUT, F_RDLCK)`]
    : policy === "rfc-v2" || policy === "sigkill-optin" ? [`A: fcntl(${fd}, F_SETSIG, SIGKILL)`, `A: fcntl(${fd}, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`]
    : [`A: fcntl(${fd}, F_SETLEASE, F_LAYOUT)`];
  const lines = [
    "@scenario zero-page", "@fs /mnt/pmem type=xfs dax=always size=64M",
    "@file /mnt/pmem/h size=0 uid=1000", "@file /mnt/pmem/p size=0 uid=1000", "@file /mnt/pmem/z size=0 uid=1000",
    "@proc A uid=1000",
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`, "A: ibv_alloc_pd(3) = $pd",
    `A: open("/mnt/pmem/h", O_RDWR)`, "A: ftruncate(4, 4096)",
    `A: open("/mnt/pmem/p", O_RDWR)`, "A: fallocate(5, 0, 0, 4096)",
    `A: open("/mnt/pmem/z", O_RDWR)`, "A: fallocate(6, 0, 0, 4096)", `A: pwrite(6, "\\0", 1, 0)`,
  ];
  for (const [fd, v] of [[4, "h"], [5, "p"], [6, "z"]] as const)
    lines.push(...lease(fd), `A: mmap(NULL, 4096, PROT_READ${access === "w" ? "|PROT_WRITE" : ""}, MAP_SHARED, ${fd}, 0) = $${v}`,
      `A: ibv_reg_mr($pd, $${v}, 4096, ${access === "w" ? "IBV_ACCESS_LOCAL_WRITE" : "IBV_ACCESS_REMOTE_READ"}) = $m${v}`);
  return lines.join("\n") + "\n";
}

test("a read pin over a hole or an unwritten extent holds the zero page; over a written block, the block", () => {
  let seen = 0;
  for (const policy of policyVariants()) {
    const st = runOnModel(parseScenario(script(policy, "r"), "zero.scn"), policy).state;
    const mrs = st.pinsets.filter((x) => x !== null && x.kind === "mr" && !x.odp);
    if (policy === "linux") { assert.equal(mrs.length, 0, "FS-DAX is not long-term pinnable today"); continue; }
    if (policy === "odp") { assert.equal(mrs.length, 0, "on-demand MRs take no pins"); continue; }
    assert.equal(mrs.length, 3, policy);
    seen++;
    const kinds = mrs.map((ps) => ps!.pinned[0] === PIN_DAX ? "block" : ps!.pinned[0] === PIN_PAGE && ps!.pinned[3] === -1 ? "zero" : "page");
    assert.deepEqual(kinds, ["zero", "zero", "block"], policy);
    // The read fault allocated nothing: the hole is still a hole, the extent still unwritten.
    const h = st.inodes.find((i) => i !== null && i.path === "/mnt/pmem/h")!;
    assert.ok(h.map.every((b) => b < 0), `${policy}: the hole got a block`);
  }
  assert.equal(seen, policyVariants().length - 2);
});

test("a writable pin over a hole or an unwritten extent is a write fault: it pins the file's block", () => {
  const st = runOnModel(parseScenario(script("rfc-v1", "w"), "zero.scn"), "rfc-v1").state;
  const mrs = st.pinsets.filter((x) => x !== null && x.kind === "mr");
  assert.deepEqual(mrs.map((ps) => ps!.pinned[0]), [PIN_DAX, PIN_DAX, PIN_DAX]);
});
