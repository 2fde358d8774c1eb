import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import type { RunReport } from "../src/scenario/report.js";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Generator } from "../src/fuzz/gen.js";
import { Reach, reachOf, REACH, type ReachKey } from "../src/fuzz/reach.js";

export const HDR = `@fs /mnt/t type=ext4
@file /mnt/t/f size=4096 uid=1000
@proc H uid=1000
@proc B uid=1000
`;

/** Runs a scenario body (after a standard header) and returns the report. */
export function run(body: string, name = "t", hdr = HDR, policy = "linux"): RunReport {
  const sc = parseScenario(`@scenario ${name}\n${hdr}\n${body}`, "t.scn");
  return runOnModel(sc, policy).report;
}

/** The actual results of every step, in order. */
export function actuals(body: string, hdr = HDR, policy = "linux"): (string | null)[] {
  return run(body, "t", hdr, policy).steps.map((s) => s.actual);
}

/** A DAX file, its owner A, a third party B, and A's RDMA context with a PD. */
export const DAX = `@sysctl fs.lease-break-time=1
@fs /mnt/pmem type=xfs dax=always size=1M
@file /mnt/pmem/a size=8192 uid=1000
@file /mnt/pmem/b size=0 uid=1000
@proc A uid=1000
@proc B uid=1000
`;

/** A opens the file, (optionally) takes `lease`, maps it and registers it with the NIC. */
export function pinned(lease: string | null, access = "IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE"): string {
  return [
    `A: open("/mnt/pmem/a", O_RDWR)`,
    lease === null ? `A: fcntl(3, F_GETLEASE)` : `A: fcntl(3, F_SETLEASE, ${lease})`,
    `A: mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`,
    `A: open("/dev/infiniband/uverbs0", O_RDWR)`,
    `A: ibv_alloc_pd(4) = $pd`,
    `A: ibv_reg_mr($pd, $buf, 8192, ${access}) = $mr`,
  ].join("\n");
}

/** At least half the scripts set a lease, a fifth break one, a tenth block, a twentieth time one out. */
const LEASE_MINIMUMS: Partial<Record<ReachKey, number>> = { leases: 50, breaks: 20, blocked: 10, timeouts: 5 };
export const MINIMUMS: Record<string, Partial<Record<ReachKey, number>>> = {
  leases: LEASE_MINIMUMS,
  io: { ...LEASE_MINIMUMS, pins: 50 },
};

export function reachOver(g: Generator, n: number, seed: number, maxLines: number, policy = "linux"): Reach {
  const r = new Reach();
  for (const lines of fc.sample(g.lines(maxLines), { numRuns: n, seed })) r.add(reachOf(g.script(lines), policy));
  return r;
}

export function assertMinimums(r: Reach, min: Partial<Record<ReachKey, number>>, what: string) {
  for (const key of REACH) assert.ok(r.percent(key) >= (min[key] ?? 0), `${what}: ${r.line()} (${key} below ${min[key]}%)`);
}
