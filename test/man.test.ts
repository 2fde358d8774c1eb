// The manual pages: their policy-dependent parts are what the model generates now, they
// lint clean with a real formatter, the scenarios their EXAMPLES cite pass, every command
// and option has its page, and `daxlease man` prints them.
import { inCI } from "./kernel.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { regenerate } from "../src/man/generate.js";
import { manDir, pageFiles, findPage } from "../src/man/pages.js";
import { renderMan } from "../src/man/render.js";
import { PROBES, answer } from "../src/man/probes.js";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { loadScenario } from "../src/cli/load.js";
import { pageText } from "../src/cli/man_cmd.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const BIN = new URL("../src/cli/bin.js", import.meta.url).pathname;
const pages = pageFiles();
const text = (f: string) => readFileSync(join(manDir(), f), "utf8");

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? "").split(":").some((d) => d !== "" && existsSync(join(d, cmd)));
}

function cli(...args: string[]) {
  const env = { ...process.env };
  for (const k of ["FORCE_COLOR", "NO_COLOR", "CI"]) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", cwd: ROOT, env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test("the generated parts of every page are what the model generates now (else: npm run man)", () => {
  assert.ok(pages.length >= 15, pages.join(" "));
  let parts = 0;
  for (const f of pages) {
    const t = text(f);
    parts += (t.match(/^\.\\" GENERATED /gm) ?? []).length;
    assert.equal(regenerate(t, f), t, `${f} is out of date: run npm run man`);
  }
  assert.ok(parts >= 7, `only ${parts} generated parts`);
  // Every policy and every call of the model is in the pages.
  const policies = text("daxlease-policies.7");
  for (const name of ["linux", "rfc-v1", "rfc-v2", "sticky", "exclusive", "setlayout", "mr-owned", "sigkill-optin", "odp"])
    assert.match(policies, new RegExp(`^\\.SS ${name}$`, "m"));
  assert.match(text("daxlease-scenario.5"), /^io_uring_register_buffers@fd, addr, int@model and kernel$/m);
});

test("fcntl_layout(2)'s answers come from the model; linux's agrees with the kernel's log", () => {
  // The fixture program asked this kernel for F_SETLEASE with F_LAYOUT (16): EINVAL.
  const log = readFileSync(join(ROOT, "test", "fixtures", "strace", "uring-register.Xraw.strace"), "utf8");
  assert.match(log, /fcntl\(3, 0x400, 0x10\) += -1 EINVAL/);
  assert.equal(answer(PROBES[0]!, "linux"), "EINVAL");
  assert.equal(answer(PROBES[0]!, "rfc-v1"), "0");
  const t = text("fcntl_layout.2");
  assert.match(t, /^\.B EDEADLK\n.*holder of an F_LAYOUT\|F_EXCLUSIVE lease/m);
});

const lint = onPath("mandoc") ? false : inCI() ? false : "mandoc not found (apt-get install mandoc)";

test("every page lints clean with mandoc -Tlint", { skip: lint }, () => {
  for (const f of pages) {
    const r = spawnSync("mandoc", ["-Tlint", join(manDir(), f)], { encoding: "utf8" });
    assert.equal((r.stdout + r.stderr).trim(), "", f);
    assert.equal(r.status, 0, f);
  }
});

test("every page formats without warnings with groff -ww when groff is here", { skip: onPath("groff") ? false : "groff not found (optional: mandoc lints the pages)" }, () => {
  for (const f of pages) {
    const r = spawnSync("groff", ["-t", "-ww", "-z", "-man", join(manDir(), f)], { encoding: "utf8" });
    assert.equal(r.stderr.trim(), "", f);
  }
});

/** roff -> the text it shows, for the examples. */
function unroff(s: string): string {
  return s.replace(/\\-/g, "-").replace(/\\\(dq/g, '"').replace(/\\e/g, "\\").replace(/\\&/g, "");
}

test("the scenarios EXAMPLES sections cite, and the scripts they show, pass", () => {
  let cited = 0, shown = 0;
  for (const f of pages) {
    const t = text(f);
    const ex = /^\.SH EXAMPLES\n([\s\S]*?)(?=^\.SH )/m.exec(t)?.[1] ?? "";
    for (const m of unroff(ex).matchAll(/scenarios\/[a-z]+\/[a-z0-9-]+\.scn/g)) {
      const sc = loadScenario(join(ROOT, m[0]));
      const r = runOnModel(sc, sc.policy).report;
      assert.equal(r.ok, true, `${f} cites ${m[0]}, which fails under ${sc.policy}`);
      cited++;
    }
    for (const m of ex.matchAll(/^\.EX\n([\s\S]*?)^\.EE$/gm)) {
      const body = unroff(m[1]!);
      if (!body.startsWith("@scenario")) continue;
      const r = runOnModel(parseScenario(body, `${f} EXAMPLES`), "linux").report;
      assert.equal(r.ok, true, `${f}: its example does not pass`);
      shown++;
    }
  }
  assert.ok(cited >= 8, `only ${cited} scenarios cited`);
  assert.ok(shown >= 1);
});

test("every command has its page, naming each of its options; package.json lists every page", () => {
  const help = cli("--help").out;
  const cmds = [...help.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== "help");
  assert.ok(cmds.includes("import") && cmds.includes("replay") && cmds.includes("man"));
  const main = text("daxlease.1");
  for (const c of cmds) {
    const f = `daxlease-${c}.1`;
    assert.ok(pages.includes(f), `no page ${f}`);
    assert.match(main, new RegExp(`^\\.BR daxlease-${c} \\(1\\)`, "m"), `daxlease(1) does not name ${f}`);
    const page = unroff(text(f));
    for (const o of cli(c, "--help").out.matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm))
      if (o[1] !== "--help") assert.ok(page.includes(o[1]!), `${f} does not describe ${o[1]}`);
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { man: string[]; files: string[] };
  assert.deepEqual(pkg.man.map((m) => m.replace("./man/", "")).sort(), [...pages].sort());
  assert.ok(pkg.files.includes("man"));
});

test("daxlease man prints a page by topic; the built-in formatter leaves no macro behind", () => {
  const topics: [string[], string][] = [
    [["import"], "daxlease-import - turn an strace log"], [["policies"], "daxlease-policies - list the policies"],
    [["7", "policies"], "today's kernel and the 2019 proposals"], [["fcntl_layout"], "F_LAYOUT, F_EXCLUSIVE"],
    [["scenario"], "the scenario script format"], [["daxlease"], "daxlease - a model of Linux file leases"],
  ];
  for (const [args, want] of topics) {
    const r = cli("man", ...args);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.replace(/\s+/g, " ").includes(want), `${args.join(" ")}: ${r.out.slice(0, 300)}`);
  }
  const bad = cli("man", "frobnicate");
  assert.equal(bad.code, 2);
  assert.equal(bad.err, "daxlease: no manual page for frobnicate (daxlease man lists them)\n");
  assert.equal(findPage("policies.7"), join(manDir(), "daxlease-policies.7"));
  for (const f of pages) {
    const out = renderMan(text(f));
    assert.match(out, /^NAME$/m, f);
    assert.deepEqual(out.split("\n").filter((l) => /^\s*\.[A-Za-z]/.test(l) || /\\f[BIRP]|\\-|\\\(/.test(l)), [], f);
    const name = /^\.SH NAME\n([^\n]*)/m.exec(text(f))![1]!.replace(/\\-/g, "-");
    assert.ok(out.includes(name.split(" - ")[0]!), f);
  }
});

test("the page README.md shows is the page as mandoc renders it now", { skip: lint }, () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const shown = /One of them, rendered:\n\n```\n([\s\S]*?)\n```/.exec(readme)?.[1];
  assert.ok(shown !== undefined, "README.md shows no rendered page");
  const title = /^([A-Z_-]+)\((\d)\)/.exec(shown)!;
  const file = findPage(title[1]!.toLowerCase(), title[2]);
  assert.ok(file !== null);
  assert.equal(shown, pageText(file, "mandoc").trimEnd());
});

test("the example output of daxlease-replay(1) is what replay prints", () => {
  const ex = /^\.SH EXAMPLES\n[\s\S]*?^\.EX\n([\s\S]*?)^\.EE$/m.exec(text("daxlease-replay.1"))![1]!;
  const lines = unroff(ex).split("\n");
  const cmd = (lines[0]! + lines[1]!).replace(/\\\s+/, " ").replace(/^\$ daxlease /, "").split(/\s+/);
  const r = cli(...cmd);
  assert.equal(r.code, 0, r.err);
  const norm = (s: string) => s.replace(/\s+/g, " ").trim();
  const shown = norm(lines.slice(2).join(" ").replace(/\.\.\.\s*$/, ""));
  assert.ok(norm(r.out).startsWith(shown), `${shown}\n---\n${norm(r.out)}`);
});
