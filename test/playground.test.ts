// The playground in a real browser: Debian's chromium, driven by playwright-core, on the
// built page served by Vite on 127.0.0.1. Screenshots and timings go to artifacts/playground/
// (ignored by git). Without Chromium the file skips in one line, except under CI=true.
import { inCI } from "./kernel.js";
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import type { PreviewServer } from "vite";
import { policyVariants } from "../src/policy/registry.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WEB = join(ROOT, "web");
const ARTIFACTS = join(ROOT, "artifacts", "playground");

function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  return candidates.find((c): c is string => c !== undefined && c !== "" && existsSync(c)) ?? null;
}

const chromiumPath = findChromium();
const skip = chromiumPath === null && !inCI() ? "no Chromium here (apt-get install chromium, or set CHROMIUM_PATH)" : false;

let browser: Browser;
let server: PreviewServer;
let base = "";
let outDir = "";

async function open(hash = "", viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  (page as Page & { errors: string[] }).errors = errors;
  await page.goto(base + hash);
  await page.waitForSelector(".tl-row");
  return page;
}

function errorsOf(page: Page): string[] {
  return (page as Page & { errors: string[] }).errors;
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** The line of the selected timeline row ("start" before the first step). */
async function selectedLine(page: Page): Promise<string> {
  return (await page.locator(".tl-row.selected").getAttribute("data-line")) ?? "start";
}

/** Steps forward with the keyboard until the selected step is the one at `line`. */
async function stepTo(page: Page, line: number) {
  await page.locator(".tl-rows").focus();
  for (let i = 0; i < 200 && (await selectedLine(page)) !== String(line); i++) await page.keyboard.press("ArrowRight");
  assert.equal(await selectedLine(page), String(line));
}

/** Text without the zero-width spaces the timeline adds as break points. */
async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? "").replace(/\u200b/g, "");
}

describe("the playground in Chromium", { skip }, () => {
  before(async () => {
    if (chromiumPath === null) throw new Error("CI=true and no Chromium: .ci/run installs the chromium package");
    const { build, preview } = await import("vite");
    const { chromium } = await import("playwright-core");
    mkdirSync(ARTIFACTS, { recursive: true });
    outDir = mkdtempSync(join(tmpdir(), "daxlease-web-"));
    await build({ root: WEB, configFile: join(WEB, "vite.config.ts"), logLevel: "warn", build: { outDir, emptyOutDir: true } });
    server = await preview({ root: WEB, configFile: join(WEB, "vite.config.ts"), logLevel: "warn", build: { outDir }, preview: { host: "127.0.0.1", port: 0 } });
    base = server.resolvedUrls!.local[0]!;
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (outDir !== "") rmSync(outDir, { recursive: true, force: true });
  });

  test("a bundled scenario: step to the truncate, the pinned blocks and the refusal", { timeout: 90_000 }, async () => {
    const page = await open();
    await page.getByLabel("Scenario", { exact: true }).selectOption("proposals/pinned-truncate-fails-after-break");
    await page.waitForFunction(() => document.querySelector(".cm-content")?.textContent?.includes("@scenario pinned-truncate-fails-after-break"));
    // The truncate sleeps: the holder is sent SIGIO (an arrow into A's lane), B's lane is asleep from here.
    await stepTo(page, 28);
    assert.match(await text(page, ".tl-row.selected .chip"), /truncate\("\/mnt\/pmem\/a", 0\) \.\.\./);
    assert.match(await text(page, ".tl-row.selected .tl-arrow"), /SIGIO/);
    assert.equal(await page.locator(".tl-row[data-line='29'] .tl-cell.lane-asleep").count(), 1);
    assert.match(await text(page, "#st-locks"), /LEASE BREAKER WRITE B/);
    // The break time runs out, the lease goes, and the truncate is refused over the pinned blocks.
    await stepTo(page, 32);
    assert.match(await text(page, ".tl-row.selected .chip"), /= -1 ETXTBSY/);
    const pinned = page.locator("#st-blocks .blk-pinned");
    assert.equal(await pinned.count(), 4);
    for (const title of await pinned.evaluateAll((els) => els.map((e) => e.getAttribute("title") ?? ""))) {
      assert.match(title, /^block \d: \/mnt\/pmem\/a page \d, pinned 1x by MR 1 \(A\)/);
    }
    assert.match(await text(page, "#st-files"), /\/mnt\/pmem\/a 16384 bytes/);
    assert.match(await text(page, "#st-locks"), /^Leases \(\/proc\/locks\) \(0\)gone1: LEASE BREAKING UNLCK A/);
    // The buttons step too (keyboard: Enter on a focused button).
    await page.locator("#step-forward").focus();
    await page.keyboard.press("Enter");
    assert.equal(await selectedLine(page), "33");
    await page.locator("#step-back").click();
    assert.equal(await selectedLine(page), "32");
    await shot(page, "1-truncate-refused");
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("rfc-v1 on the close-and-munmap case: pinner-visible fails at the close", { timeout: 90_000 }, async () => {
    const page = await open("#scenario=proposals/close-with-pins-sigkill");
    assert.match(await text(page, ".summary"), /all five properties hold/);
    await page.getByLabel("Policy", { exact: true }).selectOption("rfc-v1");
    await page.waitForSelector(".tl-row.violated");
    const first = page.locator(".tl-row.violated").first();
    assert.equal(await first.getAttribute("data-line"), "27");
    assert.match((await first.textContent())!.replace(/\u200b/g, ""), /close\(3\) = 0.*pinner-visible fails here/);
    await page.getByRole("button", { name: "✗ pinner-visible fails at line 27" }).click();
    assert.equal(await selectedLine(page), "27");
    // The editor marks the line too (scrolled to it): the step not as written, and the property.
    const marked = (await page.locator(".cm-line:has(.cm-lintRange)").allTextContents()).filter((l) => l.startsWith("A: close(3)"));
    assert.equal(marked.length, 1);
    // What an admin sees: the MR in rdma, nothing in lsof or /proc/locks.
    const admin = await text(page, "#st-admin");
    assert.match(admin, /rdma resource show mrmrn 1 mrlen 16384 pdn 1 pid A/);
    assert.match(admin, /lsof \/mnt\/pmem\/a(changed)?\(nothing\)/);
    await shot(page, "2-rfc-v1-pinner-visible");
    // Side by side with the script's own policy: the close differs.
    await page.getByRole("tab", { name: "Policies" }).click();
    await page.getByLabel("Policy to compare with").selectOption("sticky,close=sigkill");
    const row = page.locator(".sbs tbody tr", { hasText: "close(3)" });
    assert.equal(await row.count(), 1);
    assert.deepEqual((await row.locator("td").allTextContents()).slice(0, 4).map((s) => s.trim()), ["27", "A: close(3)", "0✗ pinner-visible fails", "?"]);
    await shot(page, "3-policies-side-by-side");
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("a typed script with an error: the parser's message, at its line", { timeout: 90_000 }, async () => {
    const page = await open();
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+A");
    await page.keyboard.press("Delete");
    const script = [
      "@scenario typed",
      "@fs /mnt/t type=ext4",
      "@file /mnt/t/f size=4096 uid=1000",
      "@proc A uid=1000",
      'A: open("/mnt/t/f", O_RDONLY) = 3',
      "Z: close(3) = 0",
    ].join("\n");
    await page.keyboard.type(script);
    await page.waitForSelector(".parse-error");
    assert.match(await text(page, ".parse-error"), /^playground\.scn:6:1: unknown process Z \(declare it with @proc or create it with fork\)/);
    const lines = page.locator(".cm-line");
    assert.equal(await lines.nth(5).locator(".cm-lintRange-error").count(), 1);
    assert.equal(await page.locator(".cm-lintRange-error").count(), 1);
    await shot(page, "4-typed-error");
    // Fixed, it runs; the link carries the script to another browser tab.
    await page.keyboard.press("Home");
    await page.keyboard.press("Delete");
    await page.keyboard.type("A");
    await page.waitForSelector(".parse-error", { state: "detached" });
    await page.waitForFunction(() => document.querySelectorAll(".tl-row[data-line]").length === 2);
    assert.match(await text(page, ".tl-row[data-line='6'] .chip"), /close\(3\) = 0/);
    const fixed = script.replace("Z:", "A:");
    await page.waitForFunction((want) => {
      const m = /script=([^&]*)/.exec(location.hash);
      return m !== null && atob(m[1]!.replace(/-/g, "+").replace(/_/g, "/")) === want;
    }, fixed);
    const other = await open(new URL(page.url()).hash);
    assert.equal(await other.evaluate(() => document.querySelector(".cm-content")!.textContent), fixed.replace(/\n/g, ""));
    await other.close();
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("Check on an exploration script, its counterexample loaded into the timeline; Cancel", { timeout: 90_000 }, async () => {
    const page = await open("#scenario=explore/rdma-truncate");
    await page.getByRole("tab", { name: "Check" }).click();
    await page.getByRole("button", { name: "Check under rfc-v1" }).click();
    await page.waitForSelector(".report", { timeout: 60_000 });
    const report = await text(page, ".report");
    assert.match(report, /complete:/);
    for (const p of ["no-corruption", "user-told", "no-innocent-hang"]) assert.match(report, new RegExp(`${p} holds`));
    for (const p of ["pinner-visible", "recoverable"]) assert.match(report, new RegExp(`${p} fails — shortest run \\d+ steps`));
    const cell = page.locator(".matrix tbody tr", { hasText: "rdma-truncate" }).locator(".cx-link");
    assert.deepEqual((await cell.allTextContents()).map((s) => s.replace(/\d+/, "")), ["V", "R"]);
    await cell.first().click();
    await page.waitForFunction(() => document.querySelector(".cm-content")?.textContent?.startsWith("@scenario rdma-truncate.rfc-v1.pinner-visible"));
    await page.waitForSelector(".tl-row.selected.violated");
    assert.match(await text(page, ".tl-row.selected .tl-violation"), /pinner-visible fails here/);
    assert.match(await text(page, ".tl-row.selected .chip"), /munmap\(\$buf, 16384\) = 0/);
    assert.equal(await page.getByRole("button", { name: "Back to the script" }).count(), 1);
    await shot(page, "5-counterexample");
    // Back to the script; Cancel stops the worker, the buttons come back, and fewer columns got a verdict.
    await page.getByRole("button", { name: "Back to the script" }).click();
    await page.waitForFunction(() => document.querySelector(".cm-content")?.textContent?.includes("@scenario rdma-truncate@"));
    await page.getByRole("button", { name: "Check under every policy" }).click();
    await page.getByRole("button", { name: "Cancel" }).click({ timeout: 5_000 });
    await page.waitForSelector(".progress", { state: "detached" });
    assert.equal(await page.getByRole("button", { name: "Check under every policy" }).isEnabled(), true);
    const columns = await page.locator(".matrix thead th").count() - 1;
    assert.ok(columns >= 1 && columns < policyVariants().length, `${columns} policies checked before Cancel`);
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("100 steps under every policy: first paint, the runs and a step, timed in the page", { timeout: 90_000 }, async (t) => {
    const lines = [
      "@scenario hundred-steps",
      "@sysctl fs.lease-break-time=1",
      "@fs /mnt/pmem type=xfs dax=always size=1M",
      "@file /mnt/pmem/a size=16384 uid=1000",
      "@file /mnt/pmem/b size=8192 uid=1000",
      "@proc A uid=1000",
      "@proc B uid=1000",
      'A: open("/mnt/pmem/a", O_RDWR)',
      "A: fcntl(3, F_SETLEASE, F_LAYOUT)",
      "A: mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf",
      'A: open("/dev/infiniband/uverbs0", O_RDWR)',
      "A: ibv_alloc_pd(4) = $pd",
      "A: ibv_reg_mr($pd, $buf, 16384, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE) = $mr",
    ];
    const loop = ['NIC: rdma_write($mr, 0, "dma")', 'B: open("/mnt/pmem/b", O_RDWR)', 'B: pwrite(3, "hello", 5, 0)', 'B: pread(3, "", 5, 0)', "B: close(3)", 'A: pread(3, "", 5, 0)', 'B: cat("/proc/locks")'];
    for (let i = 0; lines.length < 7 + 99; i++) lines.push(loop[i % loop.length]!);
    lines.push('B: truncate("/mnt/pmem/a", 0)');
    const hash = `#script=${Buffer.from(lines.join("\n") + "\n").toString("base64url")}`;
    const page = await open(hash);
    await page.waitForFunction(() => document.querySelectorAll(".tl-row[data-line]").length === 100);
    await page.getByRole("tab", { name: "Policies" }).click();
    assert.equal(await page.locator(".policies tbody tr").count(), policyVariants().length);
    assert.equal(await page.locator(".policies tbody tr", { hasText: "model bug" }).count(), 0);
    await page.getByRole("tab", { name: "State" }).click();
    const perf = await page.evaluate(async () => {
      const ms = (n: number) => Math.round(n * 10) / 10;
      const measure = (name: string) => performance.getEntriesByName(name).map((e) => e.duration);
      const fcp = performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? -1;
      const frame = performance.getEntriesByName("daxlease:first-frame")[0]?.startTime ?? -1;
      const start = performance.getEntriesByName("daxlease:start")[0]?.startTime ?? -1;
      const list = document.querySelector(".tl-rows") as HTMLElement;
      list.focus();
      const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const key = async (k: string) => {
        const t0 = performance.now();
        list.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true }));
        await nextFrame();
        return performance.now() - t0;
      };
      const steps: number[] = [];
      for (let i = 0; i < 40; i++) steps.push(await key("ArrowRight"));
      const end = await key("End");
      const sel = document.querySelector("header select[aria-label=Policy]") as HTMLSelectElement;
      const t0 = performance.now();
      sel.value = "sticky,close=block";
      sel.dispatchEvent(new Event("change", { bubbles: true }));
      await nextFrame();
      const policySwitch = performance.now() - t0;
      steps.sort((a, b) => a - b);
      return {
        scriptStartMs: ms(start), firstContentfulPaintMs: ms(fcp), firstFrameMs: ms(frame),
        runAllPoliciesMs: ms(measure("daxlease:all-policies")[0] ?? -1), runOnePolicyMs: ms(measure("daxlease:run")[0] ?? -1),
        stepMedianMs: ms(steps[Math.floor(steps.length / 2)]!), stepMaxMs: ms(steps[steps.length - 1]!), jumpToLastMs: ms(end),
        policySwitchMs: ms(policySwitch), step: document.querySelector(".step-count")!.textContent,
      };
    });
    assert.equal(perf.step, "step 100 of 100");
    assert.ok(perf.firstContentfulPaintMs > 0 && perf.runAllPoliciesMs > 0 && perf.stepMedianMs > 0, JSON.stringify(perf));
    writeFileSync(join(ARTIFACTS, "perf.json"), JSON.stringify(perf, null, 2) + "\n");
    t.diagnostic(`playground timings: ${JSON.stringify(perf)}`);
    await shot(page, "6-hundred-steps");
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("every bundled scenario opens: it parses, runs, and each step has its row", { timeout: 120_000 }, async () => {
    const page = await open();
    const ids = await page.locator("select[aria-label=Scenario] option").evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter((v) => v !== ""));
    assert.ok(ids.length >= 140, `${ids.length} bundled scenarios`);
    assert.ok(ids.includes("explore/rdma-truncate") && ids.includes("linux/fork-shares-lease"));
    const bad: string[] = [];
    for (const id of ids) {
      await page.locator("select[aria-label=Scenario]").selectOption(id);
      const name = id.split("/")[1]!;
      // The editor's text (its lines), once it shows the chosen script.
      await page.waitForFunction((want) => [...document.querySelectorAll(".cm-line")].some((l) => l.textContent === `@scenario ${want}`), name, { timeout: 5_000 });
      const got = await page.evaluate(() => ({
        rows: document.querySelectorAll(".tl-row[data-line]").length,
        error: document.querySelector(".parse-error")?.textContent ?? null,
      }));
      // A step is a line `NAME: ...` or `sleep ...` (not a directive, comment or `>` line).
      const steps = readFileSync(join(ROOT, "scenarios", `${id}.scn`), "utf8").split("\n").filter((l) => /^\s*(sleep\b|[A-Za-z][A-Za-z0-9_]*\??\s*:)/.test(l)).length;
      if (got.error !== null || got.rows === 0 || got.rows !== steps) bad.push(`${id}: ${JSON.stringify({ ...got, steps })}`);
    }
    assert.deepEqual(bad, []);
    assert.deepEqual(errorsOf(page), []);
    await page.close();
  });

  test("the page at 1280x800 and on a phone", { timeout: 90_000 }, async () => {
    const page = await open("#scenario=explore/rdma-truncate&step=8");
    await page.waitForSelector(".tl-row.selected.violated");
    await shot(page, "page-1280x800");
    await page.close();
    const phone = await open("#scenario=proposals/pinned-truncate-fails-after-break&step=10", { width: 390, height: 844 });
    // Nothing wider than the screen but the panes that scroll themselves.
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    await shot(phone, "page-phone");
    await phone.locator("#st-blocks").scrollIntoViewIfNeeded();
    await shot(phone, "page-phone-state");
    assert.deepEqual(errorsOf(phone), []);
    await phone.close();
  });
});
