// A small formatter of the man(7) macros the pages in man/ use, to plain text: what
// `daxlease man` prints when neither man(1) nor mandoc(1) is installed. Pure.

const WIDTH = 78;

/** Inline escapes and fonts -> plain text. */
function inline(s: string): string {
  return s
    .replace(/\\f[BIRP]|\\f\([A-Z]{2}|\\f\[[A-Z]*\]/g, "")
    .replace(/\\\(lq|\\\(rq/g, '"').replace(/\\\(em/g, "--").replace(/\\\(bu/g, "*").replace(/\\\(mu/g, "x")
    .replace(/\\\(dq/g, '"').replace(/\\\(ha/g, "^").replace(/\\\(->/g, "->")
    .replace(/\\-/g, "-").replace(/\\e/g, "\\").replace(/\\&/g, "").replace(/\\~/g, " ").replace(/\\ /g, " ").replace(/\\c$/, "");
}

/** The arguments of a macro line, with "quoted" ones kept together. */
function args(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"]|"")*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  return out;
}

/** Alternating fonts (.BR, .IR ...): the arguments run together. */
function alternate(s: string): string {
  return args(s).join("");
}

export function renderMan(page: string): string {
  const out: string[] = [];
  let indent = 7;
  let para: string[] = [];
  let nofill = false;
  let tag: string | null = null;
  const stack: number[] = [];
  let tagNext = false;
  let inTable = false;
  let tableRows: string[][] = [];
  let tableSkip = 0;
  let title = "";
  /** The last text ended in \\c: the next joins it without a space. */
  let glue = false;
  const add = (t: string, raw: string) => {
    if (nofill) out.push(" ".repeat(indent) + t);
    else if ((glue || /^[.,;:)]/.test(t)) && para.length > 0) para[para.length - 1] += t;
    else para.push(t);
    glue = /\\c$/.test(raw);
  };

  const flush = () => {
    if (para.length === 0 && tag === null) return;
    const words = para.join(" ").split(/\s+/).filter((w) => w !== "");
    let line = " ".repeat(indent);
    let first = true;
    const lines: string[] = [];
    if (tag !== null) {
      const t = " ".repeat(Math.max(indent - 7, 0)) + tag;
      if (t.length + 1 < indent) line = t.padEnd(indent);
      else { lines.push(t); }
      tag = null;
    }
    for (const w of words) {
      if (!first && line.length + 1 + w.length > WIDTH && line.trim() !== "") { lines.push(line); line = " ".repeat(indent) + w; }
      else line = line.trimEnd() === "" ? line + w : `${line} ${w}`;
      first = false;
    }
    if (line.trim() !== "") lines.push(line);
    out.push(...lines);
    para = [];
  };
  const blank = () => { if (out.length > 0 && out[out.length - 1] !== "") out.push(""); };

  for (const raw of page.split("\n")) {
    if (raw.startsWith(".\\\"") || raw.startsWith("'\\\"")) continue;
    if (inTable) {
      if (raw === ".TE") {
        const widths: number[] = [];
        for (const r of tableRows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
        for (const r of tableRows) out.push(" ".repeat(indent) + r.map((c, i) => c.padEnd(widths[i]! + 2)).join("").trimEnd());
        inTable = false;
        continue;
      }
      if (tableSkip > 0) { if (raw.endsWith(".")) tableSkip = 0; continue; }
      if (raw === "_") { tableRows.push(["---"]); continue; }
      tableRows.push(raw.split("@").map(inline));
      continue;
    }
    if (tagNext && !raw.startsWith(".TQ")) {
      flush();
      tag = raw.startsWith(".") ? inline(macroText(raw)) : inline(raw);
      tagNext = false;
      continue;
    }
    if (!raw.startsWith(".")) {
      if (nofill) out.push(" ".repeat(indent) + inline(raw));
      else add(inline(raw), raw);
      continue;
    }
    const m = /^\.(\S+)\s*(.*)$/.exec(raw);
    if (m === null) continue;
    const [, mac, rest] = m as unknown as [string, string, string];
    switch (mac) {
      case "TH": title = `${args(rest)[0]}(${args(rest)[1]})`; out.push(`${title}`, ""); break;
      case "SH": flush(); blank(); indent = 7; out.push(inline(args(rest).join(" "))); break;
      case "SS": flush(); blank(); out.push("   " + inline(args(rest).join(" "))); break;
      case "PP": case "P": case "LP": flush(); blank(); if (stack.length === 0) indent = 7; break;
      case "TP": flush(); blank(); tagNext = true; indent = (stack[stack.length - 1] ?? 7) + 7; break;
      case "TQ": flush(); tagNext = true; break;
      case "IP": { flush(); blank(); const a = args(rest); indent = (stack[stack.length - 1] ?? 7) + 4; if (a[0]) tag = inline(a[0]); break; }
      case "RS": flush(); stack.push(indent); indent += 4; break;
      case "RE": flush(); indent = stack.pop() ?? 7; break;
      case "EX": case "nf": flush(); nofill = true; break;
      case "EE": case "fi": nofill = false; break;
      case "br": flush(); break;
      case "sp": flush(); blank(); break;
      case "in": break;
      case "TS": flush(); inTable = true; tableRows = []; tableSkip = 1; break;
      case "B": case "I": case "SM":
        add(inline(args(rest).join(" ")), raw);
        break;
      case "BR": case "RB": case "IR": case "RI": case "BI": case "IB":
        add(inline(alternate(rest)), raw);
        break;
      default: break;
    }
  }
  flush();
  return out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
}

function macroText(raw: string): string {
  const m = /^\.(\S+)\s*(.*)$/.exec(raw)!;
  return /^(BR|RB|IR|RI|BI|IB)$/.test(m[1]!) ? alternate(m[2]!) : args(m[2]!).join(" ");
}
