/** The model's WARN_ON: a broken invariant is a bug in the model, never a syscall error. */
export class ModelBug extends Error {}
export function assert(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new ModelBug(`model invariant broken: ${msg}`);
}
