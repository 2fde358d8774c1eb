// The verdict matrix: scripts (grouped by the thread's question they answer) x policies,
// each cell the properties that fail over the whole reachable space, with the length of the
// shortest run that breaks each. It answers the thread's question: which proposal keeps
// which promise.
import { PROPERTIES } from "../props/names.js";
import type { CheckReport } from "./check.js";

export interface VerdictCell { question: string; report: CheckReport; written: string }

const LETTER: Record<string, string> = { "no-corruption": "C", "user-told": "T", "pinner-visible": "V", "recoverable": "R", "no-innocent-hang": "H" };

const SHORT: Record<string, string> = {
  "linux": "linux", "rfc-v1": "v1", "rfc-v1,gup=2019": "v1/19", "rfc-v2": "v2", "sticky,close=sigkill": "st/kil", "sticky,close=revoke": "st/rev",
  "sticky,close=block": "st/blk", "sticky,close=hold": "st/hld", "exclusive": "excl", "setlayout": "setlay", "mr-owned": "mr-own", "sigkill-optin": "killop", "odp": "odp",
};

/** A cell's text: `holds`, `n/a`, the failing properties with their shortest runs, and `?` when the search did not finish. */
export function cellText(r: CheckReport, width: number): string {
  if (r.setupRefused) return "n/a";
  const fails = PROPERTIES.filter((p) => r.verdicts[p] === "fails");
  const long = fails.map((p) => `${LETTER[p]}${r.counterexamples.find((c) => c.property === p)?.length ?? ""}`).join(" ");
  const short = fails.map((p) => LETTER[p]).join("");
  const tail = r.complete ? "" : "?";
  if (fails.length === 0) return r.complete ? "holds" : "?";
  const withLengths = long + (tail ? " ?" : "");
  return withLengths.length <= width ? withLengths : short + tail;
}

function differs(c: VerdictCell): boolean {
  return c.report.expectChecked && c.report.expectDiffers.length > 0;
}

export function verdictTable(cells: VerdictCell[], policies: string[], o: { wide: boolean; color: (s: string, bad: boolean) => string }): string {
  // Narrow: 120 columns at most (a 20-wide name, then the cells), 8 wide when they fit.
  const cellW = o.wide ? Math.max(10, ...policies.map((p) => p.length)) : Math.max(6, Math.min(8, Math.floor(99 / policies.length) - 1));
  const heads = policies.map((p) => (o.wide ? p : SHORT[p] ?? p.slice(0, cellW)));
  // Rows grouped by question (in the order the questions first appear), scripts in file order within each.
  const questions = [...new Set(cells.map((c) => c.question))];
  const scenarios = [...new Set(cells.map((c) => `${c.question}\u0000${c.report.scenario}`))]
    .sort((a, b) => questions.indexOf(a.split("\u0000")[0]!) - questions.indexOf(b.split("\u0000")[0]!));
  const nameW = o.wide ? Math.max(8, ...cells.map((c) => c.report.scenario.length)) : 20;
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + "~" : s.padEnd(w));
  const out: string[] = [];
  out.push(`${"".padEnd(nameW)} ${heads.map((h) => fit(h, cellW)).join(" ")}`.trimEnd());
  let question = "";
  for (const key of scenarios) {
    const [q, name] = key.split("\u0000") as [string, string];
    if (q !== question) { out.push("", q); question = q; }
    const row = policies.map((p) => {
      const c = cells.find((x) => x.question === q && x.report.scenario === name && x.report.policy === p);
      if (c === undefined) return fit("", cellW);
      const text = cellText(c.report, cellW) + (differs(c) ? "!" : "");
      return o.color(fit(text, cellW), differs(c));
    });
    out.push(`${fit(name, nameW)} ${row.join(" ")}`.trimEnd());
  }
  const legend = [
    "",
    "Each cell: the properties that fail somewhere in the whole reachable space, each with the number of steps of the",
    "shortest run that breaks it: C no-corruption, T user-told, V pinner-visible, R recoverable, H no-innocent-hang.",
    "holds: all five hold in every reachable state. ?: the search did not finish (a bound stopped it). n/a: the policy",
    "refused every pin the script tries, so its question does not arise. Lengths are left out where they do not fit",
    "(daxlease check, --wide or --json give them). !: differs from the script's @expect lines, written for its @policy.",
  ];
  if (!o.wide) legend.push(...wrap(`Columns: ${policies.map((p, i) => `${heads[i]} = ${p}`).filter((_, i) => heads[i] !== policies[i]).join(", ")}.`, 115));
  return [...out, ...legend].map((l) => l.trimEnd()).join("\n");
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const w of text.split(" ")) {
    if (line.length + w.length + 1 > width && line !== "") { out.push(line); line = w; }
    else line = line === "" ? w : `${line} ${w}`;
  }
  if (line !== "") out.push(line);
  return out;
}

/** The matrix as data: one row per script and policy. */
export function verdictRows(cells: VerdictCell[]) {
  return cells.map((c) => ({
    file: c.report.file, scenario: c.report.scenario, question: c.question, policy: c.report.policy, complete: c.report.complete,
    setupRefused: c.report.setupRefused, verdicts: c.report.verdicts,
    shortest: Object.fromEntries(c.report.counterexamples.map((x) => [x.property, x.length])),
    expect: c.report.expectChecked ? { matches: c.report.expectDiffers.length === 0, differs: c.report.expectDiffers } : null,
  }));
}
