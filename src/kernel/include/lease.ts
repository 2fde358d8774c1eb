// Pure questions about a file's lease list (include/linux/filelock.h), shared by the kernel
// and the policies' hooks.
import type { Lease } from "./state.js";
import { FL_LAYOUT, FL_EXCLUSIVE, FL_UNLOCK_PENDING, FL_DOWNGRADE_PENDING } from "./state.js";

/** A lease with a break in progress (lease_breaking). */
export function leaseBreaking(l: Lease): boolean {
  return (l.flags & (FL_UNLOCK_PENDING | FL_DOWNGRADE_PENDING)) !== 0;
}

export function isLayout(l: Lease): boolean {
  return (l.kind & FL_LAYOUT) !== 0;
}

export function isExclusive(l: Lease): boolean {
  return (l.kind & FL_EXCLUSIVE) !== 0;
}

export function layoutLeases(leases: readonly Lease[]): Lease[] {
  return leases.filter(isLayout);
}

/** A layout lease set by process `pid` (exclusive ones only, if asked). */
export function heldLayout(leases: readonly Lease[], pid: number, exclusive: boolean): Lease | null {
  for (const l of leases) {
    if (!isLayout(l) || l.pid !== pid) continue;
    if (exclusive && !isExclusive(l)) continue;
    return l;
  }
  return null;
}
