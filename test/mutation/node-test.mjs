// What test files see as `node:test` while the mutation runner loads them (hooks.mjs): a
// collector. Each test is kept to be run again, under every mutant, in this one process.
export const registry = { file: "", tests: [] };

function add(name, a, b, skip) {
  const opts = typeof a === "object" && a !== null ? a : {};
  const fn = typeof a === "function" ? a : b;
  registry.tests.push({ id: `${registry.file} > ${name}`, name, fn, skip: skip || Boolean(opts.skip) });
  return Promise.resolve();
}

export function test(name, a, b) {
  return add(name, a, b, false);
}
test.skip = (name, a, b) => add(name, a, b, true);

export default test;
