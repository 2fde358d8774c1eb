// Tracepoints, as include/trace/events/filelock.h gives fs/locks.c: named events where a
// rule fires, for tools to count (the fuzzer's reach). Probes only watch; nothing in the
// model reads them back, so a run is the same with or without them.

/**
 * lease: a lease was granted or changed (generic_add_lease succeeded); break: a break
 * started on a lease (__break_lease set FL_UNLOCK_PENDING or FL_DOWNGRADE_PENDING);
 * timeout: time_out_leases forced a lease through; block: a call went to sleep;
 * pin: pin_user_pages took long-term pins.
 */
export type TraceEvent = "lease" | "break" | "timeout" | "block" | "pin";

type Probe = (e: TraceEvent) => void;
const probes: Probe[] = [];

export function trace(e: TraceEvent) {
  for (const p of probes) p(e);
}

/** Runs `fn` with no probe attached: a look-ahead on a copy of the state is not the run. */
export function untraced<T>(fn: () => T): T {
  const saved = probes.splice(0);
  try {
    return fn();
  } finally {
    probes.push(...saved);
  }
}

/** Runs `fn` with `probe` attached. */
export function withProbe<T>(probe: Probe, fn: () => T): T {
  probes.push(probe);
  try {
    return fn();
  } finally {
    probes.splice(probes.indexOf(probe), 1);
  }
}
