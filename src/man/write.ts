// `npm run man`: rewrites the generated parts of the pages in man/ (see ./generate.ts).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { regenerate } from "./generate.js";
import { manDir, pageFiles } from "./pages.js";

let changed = 0;
for (const f of pageFiles()) {
  const p = join(manDir(), f);
  const old = readFileSync(p, "utf8");
  const now = regenerate(old, f);
  if (now !== old) { writeFileSync(p, now); changed++; process.stdout.write(`rewrote ${f}\n`); }
}
process.stdout.write(`${changed} of ${readdirSync(manDir()).length} pages changed\n`);
