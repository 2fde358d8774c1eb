// The parts of the manual pages that depend on the model: written from the policy
// definitions (src/policy/policies.ts), the call table (src/scenario/calls.ts) and the
// answers of probe scenarios run on the model (./probes.ts). A page marks each part:
//
//   .\" GENERATED NAME: npm run man rewrites the lines up to END GENERATED NAME
//   ...
//   .\" END GENERATED NAME
//
// `npm run man` rewrites them; a test regenerates every page and fails on a difference.
import { ALL } from "../policy/registry.js";
import { CALLS } from "../scenario/calls.js";
import { PROPERTIES } from "../props/names.js";
import { PROBES, answers, policyColumns } from "./probes.js";

/** Text for roff: backslashes escaped, a leading `.` or `'` made literal. */
export function esc(s: string): string {
  return s.replace(/\\/g, "\\e").replace(/^([.'])/, "\\&$1").replace(/\n([.'])/g, "\n\\&$1");
}

/** Text as page lines: escaped, wrapped at 78 bytes (mandoc's lint wants at most 80), a new line after each sentence. */
function text(s: string): string {
  const words = esc(s).replace(/\s+/g, " ").trim().split(" ");
  const lines: string[] = [];
  let cur = "";
  for (const w of words) {
    if (cur !== "" && (cur.length + 1 + w.length > 78 || /[.;:]$/.test(cur) && cur.length > 40)) { lines.push(cur); cur = w; }
    else cur = cur === "" ? w : `${cur} ${w}`;
  }
  if (cur !== "") lines.push(cur);
  return lines.map((l) => (/^[.']/.test(l) ? `\\&${l}` : l)).join("\n");
}

function policies(): string {
  const out: string[] = [];
  for (const p of ALL) {
    out.push(`.SS ${p.name}`, text(p.summary), ".PP", "Rules:");
    for (const r of p.rules) out.push(".IP \\(bu 2", text(r));
    if (p.choices.length > 0) {
      out.push(".PP", "Where the thread left a point open, this policy chose:");
      for (const c of p.choices) out.push(".IP \\(bu 2", text(c));
    }
    for (const [k, vals] of Object.entries(p.options)) {
      out.push(".PP", `Option \\fB${k}=\\fP${vals.map((v) => `\\fI${v}\\fP`).join(" | ")}`, `(default \\fI${vals[0]}\\fP): run as`, `.BR ${p.name},${k}= ${vals.slice(1).map((v) => `\\fI${v}\\fP`).join(" or ")}.`);
    }
    out.push(".PP", text(`Sources: ${p.sources.join("; ")}.`));
  }
  return out.join("\n");
}

function policyList(): string {
  const out: string[] = [];
  for (const p of ALL) out.push(`.TP`, `.B ${p.name}`, text(p.summary));
  return out.join("\n");
}

function calls(): string {
  const out: string[] = [".TS", "tab(@);", "lb lb lb", "l l l.", "call@arguments@where"];
  for (const [name, sig] of Object.entries(CALLS)) {
    if (name === "pread64" || name === "pwrite64") continue;
    const args = sig.args.map((a, i) => (i >= sig.args.length - (sig.optional ?? 0) ? `[${a}]` : a)).join(", ");
    out.push(`${name}@${args || "\\(em"}@${sig.nic ? "NIC, model only" : sig.modelOnly ? "model only" : "model and kernel"}`);
  }
  out.push(".TE");
  return out.join("\n");
}

function properties(): string {
  return PROPERTIES.map((p) => `.B ${p}`).join("\n");
}

/** A table cell: n/a (an earlier step of the case fails under the policy, so the case does not arise) as a dash. */
function cell(a: string): string {
  return a === "n/a" ? "\\(em" : a;
}

let memo: string[][] | null = null;
function probeAnswers(): string[][] {
  memo ??= answers();
  return memo;
}

const SHORT: Record<string, string> = {
  linux: "linux", "rfc-v1": "v1", "rfc-v1,gup=2019": "v1/19", "rfc-v2": "v2", sticky: "sticky", "sticky,close=revoke": "s,rev", "sticky,close=block": "s,blk", "sticky,close=hold": "s,hold",
  exclusive: "excl", setlayout: "setl", "mr-owned": "mr", "sigkill-optin": "kill", odp: "odp",
};

/** The answers, as tables of at most six policies each (a terminal is 80 columns wide). */
function errnoTable(): string {
  const cols = policyColumns();
  const a = probeAnswers();
  const per = Math.ceil(cols.length / Math.ceil(cols.length / 6));
  const parts: string[][] = [];
  for (let i = 0; i < cols.length; i += per) parts.push(cols.slice(i, i + per));
  const out: string[] = [];
  for (const part of parts) {
    if (out.length > 0) out.push(".PP");
    out.push(".TS", "tab(@);", `l ${part.map(() => "l").join(" ")}.`, `case@${part.map((c) => SHORT[c] ?? c).join("@")}`, "_");
    a.forEach((row, i) => out.push(`${i + 1}@${part.map((c) => cell(row[cols.indexOf(c)]!)).join("@")}`));
    out.push(".TE");
  }
  return out.join("\n");
}

function cases(): string {
  const out: string[] = [];
  PROBES.forEach((p, i) => out.push(`.IP ${i + 1}. 4`, text(p.what) + "."));
  return out.join("\n");
}

/** ERRORS: each errno, the cases that return it and under which policies. */
function errors(): string {
  const cols = policyColumns();
  const a = probeAnswers();
  const by = new Map<string, { c: number; policies: string[] }[]>();
  a.forEach((row, i) => {
    row.forEach((v, j) => {
      if (!/^E[A-Z]+$/.test(v)) return;
      const list = by.get(v) ?? [];
      const hit = list.find((x) => x.c === i);
      if (hit) hit.policies.push(cols[j]!);
      else list.push({ c: i, policies: [cols[j]!] });
      by.set(v, list);
    });
  });
  const out: string[] = [];
  for (const e of [...by.keys()].sort()) {
    out.push(".TP", `.B ${e}`);
    const who = (ps: string[]) => ps.length === cols.length ? "every policy"
      : ps.length > cols.length / 2 ? `every policy but ${cols.filter((c) => !ps.includes(c)).join(", ")}` : ps.join(", ");
    const parts = by.get(e)!.map((x) => `${PROBES[x.c]!.what} (case ${x.c + 1}: ${who(x.policies)})`);
    out.push(text(parts.join("; ") + "."));
  }
  return out.join("\n");
}

/** DESCRIPTION: which policies have which command (cases 1, 2 and 7). */
function which(): string {
  const cols = policyColumns().filter((c) => !c.includes(","));
  const all = policyColumns();
  const a = probeAnswers();
  const has = (i: number) => cols.filter((c) => a[i]![all.indexOf(c)] === "0");
  const list = (xs: string[]) => (xs.length === 0 ? "none" : xs.map((x) => `.B ${x}`).join("\n"));
  return [
    ".TP", ".B F_SETLEASE \\fRwith\\fB F_LAYOUT", list(has(0)),
    ".TP", ".B F_SETLEASE \\fRwith\\fB F_LAYOUT|F_EXCLUSIVE", list(has(1).concat(has(2).filter((x) => !has(1).includes(x)))),
    ".TP", ".BR F_SETLAYOUT \" and \" F_GETLAYOUT", list(has(6)),
  ].join("\n");
}

export const GENERATORS: Record<string, () => string> = {
  policies, "policy-list": policyList, calls, properties, "errno-table": errnoTable, cases, errors, which,
};

/** The page with every generated part written anew; an unknown part name is an error. */
export function regenerate(page: string, file = "page"): string {
  const re = /^\.\\" GENERATED ([a-z-]+):.*\n([\s\S]*?)^\.\\" END GENERATED \1$/gm;
  return page.replace(re, (whole, name: string) => {
    const gen = GENERATORS[name];
    if (gen === undefined) throw new Error(`${file}: unknown generated part ${name}`);
    const first = whole.slice(0, whole.indexOf("\n") + 1);
    return `${first}${gen()}\n.\\" END GENERATED ${name}`;
  });
}
