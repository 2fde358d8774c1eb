// The pins generator (src/fuzz/gen.ts: DAX and tmpfs mappings, RDMA memory regions, io_uring
// buffers, the NIC's DMA, layout leases) under every policy: nothing throws, the invariants
// and the pin accounting hold after every step, a replay is identical, and each policy
// keeps the properties it promises.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { encodeState, hashState } from "../src/kernel/snapshot.js";
import { PINS } from "../src/fuzz/gen.js";

/**
 * The properties each policy keeps on any script (the others fail on some: the corpus
 * shows how). user-told is nobody's promise for page-cache pins (a truncate orphans the
 * page: PROPOSALS.md case 2a, which no proposal addresses); for FS-DAX every policy keeps
 * it, since a pinned DAX page is refused or waited for, never silently cut off.
 */
const PROMISES: Record<string, string[]> = {
  // FS-DAX is not long-term pinnable: no block freed under a pin, no wait or refusal because of one.
  linux: ["no-corruption", "recoverable", "no-innocent-hang"],
  odp: ["no-corruption", "recoverable", "no-innocent-hang"],
  // Breaks time out; over pinned pages truncate fails (ETXTBSY) rather than waits. Eviction of
  // an unlinked pinned file frees its blocks (unlink-close-munmap-while-pinned).
  "rfc-v1": ["no-innocent-hang"],
  setlayout: ["no-innocent-hang"],
  // file_pins hold the leased file and name every pinner; an unlocked pin makes truncate wait.
  "rfc-v2": ["no-corruption", "pinner-visible"],
  // The MR keeps the file; changes over its pages fail at once.
  "mr-owned": ["no-corruption", "no-innocent-hang"],
  // close=sigkill kills only the registering process: a context shared with a child keeps
  // the pins (shared-context-which-to-kill), and an unlinked file is evicted under them.
  sticky: ["no-innocent-hang"],
  "sticky,close=revoke": ["no-corruption", "recoverable", "no-innocent-hang"],
  "sticky,close=block": ["no-corruption", "recoverable", "no-innocent-hang"],
  // A plain layout lease lets pins outlive its recall, and the change then waits on them.
  exclusive: [],
  "sigkill-optin": [],
};

const RUNS = Number(process.env.DAXLEASE_PROPERTY_RUNS ?? 10000);
const policies = Object.keys(PROMISES);

test(`${RUNS} random sequences with pins, MRs and DMA under every policy: no exception, invariants hold, each policy keeps its promises, replay is identical`, () => {
  fc.assert(
    fc.property(fc.constantFrom(...policies), PINS.lines(25), (policy, lines) => {
      const text = PINS.script(lines);
      const a = runOnModel(parseScenario(text, "r.scn"), policy);
      const broken = (a.report.violations ?? []).filter((v) => PROMISES[policy]!.includes(v.property) ||
        (v.property === "user-told" && v.detail.includes("/mnt/pmem/")));
      assert.deepEqual(broken, [], `${policy}\n${text}`);
      const b = runOnModel(parseScenario(text, "r.scn"), policy);
      assert.equal(JSON.stringify(b.report), JSON.stringify(a.report));
      assert.equal(encodeState(b.state), encodeState(a.state));
      assert.equal(hashState(b.state), hashState(a.state));
    }),
    { numRuns: RUNS, seed: 20190606 },
  );
});
