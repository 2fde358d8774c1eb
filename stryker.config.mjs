// Mutation testing (`npm run mutate`; the score and the survivors are in docs/testing.md).
// StrykerJS mutates the model's rules (src/kernel, src/policy, src/props), builds with tsc
// and runs the fast tests on each mutant: only the tests that cover it, in one process
// (test/mutation/node-test-runner.mjs). The kernel tests and the command line's are left
// out: the first need the machine's kernel, the second start processes that see no mutant.
// Not part of npm test.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  plugins: ["@stryker-mutator/*", "./test/mutation/node-test-runner.mjs"],
  testRunner: "node-test",
  nodeTest: {
    testFiles: [
      "dist/test/mutants.test.js", "dist/test/monitors.test.js", "dist/test/sleeps.test.js", "dist/test/policy-rules.test.js", "dist/test/pins.test.js", "dist/test/bounds.test.js", "dist/test/locks.test.js", "dist/test/policies.test.js",
      "dist/test/rdma.test.js", "dist/test/review.test.js", "dist/test/vfs.test.js", "dist/test/parse.test.js",
      "dist/test/corpus.test.js", "dist/test/fuzz.test.js", "dist/test/property.test.js", "dist/test/property-pins.test.js",
      "dist/test/snapshot.test.js", "dist/test/steps.test.js",
    ],
  },
  buildCommand: "tsc -p .",
  // A sample that runs within an hour on 2 cores: the lease rules, sleeping and waking,
  // signals, long-term pins and break_layout, io_uring's buffers, the policies and the
  // monitors. `npm run mutate:all` takes all of src/kernel, src/policy and src/props (hours).
  mutate: [
    "src/kernel/locks/locks.ts", "src/kernel/locks/layout.ts", "src/kernel/entry.ts", "src/kernel/sched/exit.ts", "src/kernel/sched/signal.ts",
    "src/kernel/mm/gup.ts", "src/kernel/mm/pin_set.ts", "src/kernel/io_uring/rsrc.ts", "src/policy/policies.ts",
    "src/props/monitor.ts", "src/props/predicates.ts", "src/props/recoverable.ts",
  ],
  // Messages and documentation strings are not rules: a changed string is no bug in the model.
  mutator: { excludedMutations: ["StringLiteral"] },
  coverageAnalysis: "perTest",
  // Code run when a module loads (tables, the policies' objects) cannot be switched in a
  // process that loaded it: such mutants are counted as ignored.
  ignoreStatic: true,
  concurrency: 2,
  timeoutMS: 10000,
  ignorePatterns: ["dist", "reports", "oracle/build", ".stryker-tmp"],
  tempDirName: ".stryker-tmp",
  reporters: ["clear-text", "progress", "json", "html"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  htmlReporter: { fileName: "reports/mutation/mutation.html" },
  warnings: { unknownOptions: false },
};
