// The project's docs are enough to write a script: their examples run as they say, they
// name every command and exit status, and they point nowhere outside the repository.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { formatReport } from "../src/scenario/report.js";
import { ALL } from "../src/policy/registry.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const text = (f: string) => readFileSync(join(ROOT, f), "utf8");

/** Every fenced block that is a whole script (it has an @scenario line). */
function scripts(file: string): string[] {
  return [...text(file).matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^@scenario [A-Za-z0-9][A-Za-z0-9._-]*$/m.test(b));
}

test("every whole script in README.md and docs/ runs on the model as written, under its @policy", () => {
  let n = 0;
  // thread-cases.md holds the drafts behind the corpus: results left out on purpose.
  for (const f of DOCS.filter((d) => d !== "docs/thread-cases.md"))
    for (const s of scripts(f)) {
      const sc = parseScenario(s, f);
      const r = runOnModel(sc, sc.policy).report;
      assert.ok(r.ok, `${f}:\n${formatReport(r)}`);
      n++;
    }
  assert.ok(n >= 2, `only ${n} scripts in the docs`);
});

test("the RDMA-vs-truncate example of docs/scenario-format.md says what each policy does", () => {
  const sc = parseScenario(scripts("docs/scenario-format.md")[0]!, "example.scn");
  assert.equal(sc.name, "rdma-vs-truncate");
  const linux = runOnModel(sc, "linux").report.steps.map((s) => s.actual);
  assert.deepEqual([linux[1], linux[5], linux[6]], ["-1 EINVAL", "-1 EOPNOTSUPP", "0"]);
  const ex = runOnModel(sc, "exclusive").report;
  assert.deepEqual(ex.violations!.map((v) => `${v.property}@${v.line}`), ["no-innocent-hang@17"]);
});

test("docs/commands.md names every command and every exit status; README names every command", () => {
  const cmds = text("docs/commands.md");
  const readme = text("README.md");
  for (const c of ["run", "matrix", "policies", "calls", "oracle", "diff", "fuzz"]) {
    assert.match(cmds, new RegExp(`\\*\\*\`${c}\`\\*\\*`), c);
    assert.match(readme, new RegExp(`^daxlease ${c}\\b`, "m"), c);
  }
  for (const code of [0, 1, 2, 3, 70]) assert.match(cmds, new RegExp(`^\\| ${code} \\|`, "m"), String(code));
  assert.match(readme, /--max-lines/);
});

test("docs/policies.md has a section for every policy", () => {
  const doc = text("docs/policies.md");
  for (const p of ALL) assert.match(doc, new RegExp(`^### \`${p.name}\``, "m"), p.name);
});

test("README.md and docs/ point to nothing outside the repository", () => {
  for (const f of DOCS) assert.doesNotMatch(text(f), /\.\.\/shared\/docs|SCENARIO_FORMAT\.md|PROPOSALS\.md/, f);
});
