// Mutation testing (`npm run mutate`; the score and the survivors are in docs/testing.md).
// StrykerJS mutates the model's rules (src/kernel, src/policy, src/props), builds with tsc
// and runs the fast test files on each mutant with node's test runner (TAP output, one
// process per file). The kernel tests and the command line's are left out: the first
// need the machine's kernel, the second start processes that see no mutant. Not part of npm test.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "tap",
  buildCommand: "tsc -p .",
  mutate: ["src/kernel/**/*.ts", "src/policy/**/*.ts", "src/props/**/*.ts"],
  // Messages and documentation strings are not rules: a changed string is no bug in the model.
  mutator: { excludedMutations: ["StringLiteral"] },
  tap: {
    testFiles: [
      "dist/test/corpus.test.js", "dist/test/locks.test.js", "dist/test/policies.test.js", "dist/test/rdma.test.js",
      "dist/test/review.test.js", "dist/test/vfs.test.js", "dist/test/mutants.test.js", "dist/test/parse.test.js",
      "dist/test/snapshot.test.js", "dist/test/bounds.test.js", "dist/test/fuzz.test.js", "dist/test/property.test.js",
      "dist/test/property-pins.test.js",
    ],
    forceBail: true,
  },
  coverageAnalysis: "perTest",
  // Constants evaluated when a module loads (tables, the policies' objects) would need every
  // test file for each of their mutants: they are left out, and counted as ignored.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 20000,
  ignorePatterns: ["dist", "reports", "oracle/build", ".stryker-tmp"],
  tempDirName: ".stryker-tmp",
  reporters: ["clear-text", "progress", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
};
