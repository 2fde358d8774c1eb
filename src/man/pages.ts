// Where the manual pages are, and which one a topic names (`daxlease man run`, `man 7 policies`).
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function manDir(): string {
  return new URL("../../../man", import.meta.url).pathname;
}

/** The page files, sorted: NAME.SECTION. */
export function pageFiles(): string[] {
  return readdirSync(manDir()).filter((f) => /^[a-z_-]+\.[1-9]$/.test(f)).sort();
}

/**
 * The page for a topic: `import`, `daxlease-import`, `scenario`, `fcntl_layout`,
 * `policies` (the command's page; section 7 with `7 policies` or `policies.7`).
 */
export function findPage(topic: string, section?: string): string | null {
  const files = pageFiles();
  let t = topic, sec = section;
  const m = /^(.*)\.([1-9])$/.exec(topic);
  if (m) { t = m[1]!; sec = m[2]!; }
  const names = [t, `daxlease-${t}`];
  for (const n of names) {
    const hits = files.filter((f) => f.slice(0, f.lastIndexOf(".")) === n && (sec === undefined || f.endsWith(`.${sec}`)));
    if (hits.length > 0) return join(manDir(), hits[0]!);
  }
  return null;
}
