// The layers point one way (scenario -> machine -> kernel -> policy types): the kernel never
// reaches the policy registry, the runner or the judge; no module is in an import circle; the
// core imports nothing Node-only, so the same code runs in the CLI, the workers and the browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname, normalize, relative } from "node:path";

const SRC = new URL("../../src/", import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Each module's imports: relative ones resolved to files (type-only imports left out), and bare specifiers. */
function imports(f: string): { local: string[]; bare: string[] } {
  const text = readFileSync(f, "utf8");
  const local: string[] = [], bare: string[] = [];
  for (const m of text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms)) {
    const spec = m[2]!;
    if (spec.startsWith(".")) { if (m[1] === undefined) local.push(normalize(join(dirname(f), spec.replace(/\.js$/, ".ts")))); }
    else bare.push(spec);
  }
  return { local, bare };
}

const ALL = files(SRC);
const rel = (f: string) => relative(SRC, f);

test("the kernel imports neither the policy registry nor anything above it", () => {
  for (const f of ALL.filter((x) => rel(x).startsWith("kernel/")))
    for (const d of imports(f).local) {
      const r = rel(d);
      assert.ok(r.startsWith("kernel/") || r === "policy/types.ts", `${rel(f)} imports ${r}`);
    }
});

test("no module is in an import circle", () => {
  const graph = new Map(ALL.map((f) => [f, imports(f).local]));
  const state = new Map<string, number>();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, 1);
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 1) assert.fail(`import circle: ${[...stack.slice(stack.indexOf(d)), d].map(rel).join(" -> ")}`);
      if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 2);
  };
  for (const f of ALL) if (!state.has(f)) visit(f);
});

test("the core imports nothing Node-only (it runs in the browser too)", () => {
  const core = ["kernel/", "policy/", "props/", "scenario/", "run/", "machine/", "explore/", "import/"];
  for (const f of ALL.filter((x) => core.some((c) => rel(x).startsWith(c)) && !rel(x).startsWith("explore/node/")))
    for (const b of imports(f).bare) assert.ok(!b.startsWith("node:") && !["fs", "path", "child_process", "worker_threads", "os"].includes(b), `${rel(f)} imports ${b}`);
});
