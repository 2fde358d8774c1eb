/** The model's WARN_ON: a broken invariant is a bug in the model, never a syscall error. */
export class ModelBug extends Error {}
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new ModelBug(`model invariant broken: ${msg}`);
}

/**
 * Every model loop that waits for the state to settle has a bound (TigerBeetle's rule): a
 * loop still going after `max` rounds is spinning, which is a bug of the model, not a result.
 */
export function bound(round: number, max: number, what: string): void {
  if (round >= max) throw new ModelBug(`model loop did not end: ${what} after ${max} rounds`);
}
