// A module resolution hook (module.register): `node:test` is the collector of node-test.mjs.
const collector = new URL("./node-test.mjs", import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === "node:test") return { url: collector, shortCircuit: true };
  return next(specifier, context);
}
