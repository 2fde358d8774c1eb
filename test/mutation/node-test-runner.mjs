// A StrykerJS test runner for this project's node:test files that keeps one process: the
// test files are imported once (their `node:test` is a collector: hooks.mjs), then each
// mutant is switched on and only the tests that cover it run, fastest first, until one
// fails. Stryker's TAP runner starts a process per file and mutant instead, and knows
// coverage only per file; this one knows it per test (a corpus scenario is a test), which
// makes a full run several times faster. Options (stryker.config.mjs): nodeTest.testFiles.
import { register } from "node:module";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { DryRunStatus, TestStatus, toMutantRunResult, determineHitLimitReached } from "@stryker-mutator/api/test-runner";
import { PluginKind, declareClassPlugin, commonTokens, tokens } from "@stryker-mutator/api/plugin";

const NAMESPACE = "__stryker__";

class NodeTestRunner {
  static inject = tokens(commonTokens.logger, commonTokens.options);

  constructor(log, options) {
    this.log = log;
    this.files = options.nodeTest?.testFiles ?? [];
    this.ns = globalThis[NAMESPACE] ?? (globalThis[NAMESPACE] = {});
    /** Test id -> the time it took in the dry run, to run the fastest covering tests first. */
    this.took = new Map();
  }

  capabilities() {
    // The test files are ES modules, imported once: they cannot be loaded again.
    return { reloadEnvironment: false };
  }

  async init() {
    register("./hooks.mjs", import.meta.url);
    const { registry } = await import("./node-test.mjs");
    for (const file of this.files) {
      registry.file = file;
      await import(pathToFileURL(resolve(file)).href);
    }
    this.tests = registry.tests;
    if (this.tests.length === 0) throw new Error(`no tests found in ${this.files.join(", ")}`);
  }

  async dryRun({ coverageAnalysis, disableBail }) {
    const perTest = coverageAnalysis === "perTest";
    const result = await this.run(this.tests, !disableBail, perTest);
    if (result.status === DryRunStatus.Complete && coverageAnalysis !== "off") result.mutantCoverage = this.ns.mutantCoverage;
    for (const t of result.tests ?? []) this.took.set(t.id, t.timeSpentMs);
    return result;
  }

  async mutantRun({ activeMutant, testFilter, disableBail, hitLimit }) {
    let tests = this.tests;
    if (testFilter !== undefined) {
      const wanted = new Set(testFilter);
      tests = tests.filter((t) => wanted.has(t.id)).sort((a, b) => (this.took.get(a.id) ?? 0) - (this.took.get(b.id) ?? 0));
    }
    this.ns.hitLimit = hitLimit;
    this.ns.hitCount = hitLimit ? 0 : undefined;
    this.ns.activeMutant = activeMutant.id;
    try {
      const result = await this.run(tests, !disableBail, false);
      return toMutantRunResult(determineHitLimitReached(this.ns.hitCount, this.ns.hitLimit) ?? result);
    } finally {
      this.ns.activeMutant = undefined;
      this.ns.hitCount = undefined;
    }
  }

  async run(tests, bail, perTest) {
    const results = [];
    const ctx = { diagnostic() {}, skip() {} };
    for (const t of tests) {
      if (t.skip) { results.push({ id: t.id, name: t.name, timeSpentMs: 0, status: TestStatus.Skipped }); continue; }
      if (perTest) this.ns.currentTestId = t.id;
      const start = performance.now();
      let failure = null;
      try {
        await t.fn({ ...ctx, name: t.name });
      } catch (e) {
        failure = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      } finally {
        if (perTest) this.ns.currentTestId = undefined;
      }
      const timeSpentMs = performance.now() - start;
      results.push(failure === null
        ? { id: t.id, name: t.name, timeSpentMs, status: TestStatus.Success }
        : { id: t.id, name: t.name, timeSpentMs, status: TestStatus.Failed, failureMessage: failure.slice(0, 2000) });
      if (failure !== null && bail) break;
    }
    return { status: DryRunStatus.Complete, tests: results };
  }

  async dispose() {}
}

export const strykerPlugins = [declareClassPlugin(PluginKind.TestRunner, "node-test", NodeTestRunner)];
