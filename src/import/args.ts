// strace's argument text, piece by piece: top-level arguments, `-y` descriptor paths
// (`3</mnt/a>`), `-X verbose` comments (`0x2 /* O_RDWR */`), structures and strings.
// Pure: no Node imports (the playground runs the importer in a browser).
import { readString, LexError } from "../scenario/lex.js";

export interface Piece { text: string; col: number }

/** Index after the `<...>` of a -y path that starts at s[i] === '<' (brackets of `[...]` nest). */
export function skipFdPath(s: string, i: number): number {
  let sq = 0;
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === "[") sq++;
    else if (c === "]") sq = Math.max(0, sq - 1);
    else if (c === "\\") j++;
    else if (c === ">" && sq === 0) return j + 1;
  }
  return -1;
}

/** Does a `<` at s[i] start a -y path (it follows a number, AT_FDCWD or a comment)? */
function fdPathAt(s: string, i: number): boolean {
  if (s[i] !== "<") return false;
  const before = s.slice(Math.max(0, i - 8), i);
  return /[0-9]$/.test(before) || /AT_FDCWD$/.test(before) || /\*\/$/.test(before);
}

export class ArgError extends Error {
  constructor(readonly offset: number, msg: string) { super(msg); }
}

/**
 * Scans s from `start` for the `)` that closes an argument list opened before it.
 * Returns its index, or -1 when the text ends first (a call strace left unfinished).
 */
export function scanArgs(s: string, start: number): number {
  const stack: string[] = [];
  for (let i = start; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') {
      try { i = readString(s, i).end - 1; } catch (e) {
        if (e instanceof LexError) throw new ArgError(e.offset, e.message === "unterminated string" ? "unterminated string (a line cut short?)" : e.message);
        throw e;
      }
      continue;
    }
    if (c === "/" && s[i + 1] === "*") {
      const e = s.indexOf("*/", i + 2);
      if (e < 0) throw new ArgError(i, "unterminated /* comment");
      i = e + 1;
      continue;
    }
    if (c === "<" && fdPathAt(s, i)) {
      const e = skipFdPath(s, i);
      if (e < 0) throw new ArgError(i, "unterminated <path>");
      i = e - 1;
      continue;
    }
    if (c === "(" || c === "{" || c === "[") stack.push(c);
    else if (c === ")" || c === "}" || c === "]") {
      if (stack.length === 0) {
        if (c === ")") return i;
        throw new ArgError(i, `unbalanced ${c}`);
      }
      const open = stack.pop()!;
      if ((open === "(") !== (c === ")") || (open === "{") !== (c === "}")) throw new ArgError(i, `${c} closes ${open}`);
    }
  }
  return -1;
}

/** The index after a string literal starting at s[i], or the end of s if it does not close. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    if (s[j] === "\\") j++;
    else if (s[j] === '"') return j + 1;
  }
  return s.length;
}

/** Splits an argument list (the text between the parentheses) at its top-level commas. */
export function splitArgs(s: string, base: number): Piece[] {
  const out: Piece[] = [];
  let depth = 0;
  let from = 0;
  const push = (to: number) => {
    const raw = s.slice(from, to);
    const lead = raw.length - raw.trimStart().length;
    if (raw.trim() !== "" || out.length > 0 || to < s.length) out.push({ text: raw.trim(), col: base + from + lead });
  };
  // Never throws: an unfinished call's text may stop anywhere.
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '"') { i = stringEnd(s, i) - 1; continue; }
    if (c === "/" && s[i + 1] === "*") { const e = s.indexOf("*/", i + 2); i = e < 0 ? s.length : e + 1; continue; }
    if (c === "<" && fdPathAt(s, i)) { const e = skipFdPath(s, i); i = e < 0 ? s.length : e - 1; continue; }
    if (c === "(" || c === "{" || c === "[") depth++;
    else if (c === ")" || c === "}" || c === "]") depth--;
    else if (c === "," && depth === 0) { push(i); from = i + 1; }
  }
  push(s.length);
  if (out.length === 1 && out[0]!.text === "") return [];
  return out;
}

/** An argument without its -y path: `3</mnt/a>` -> {text "3", path "/mnt/a"}. */
export function stripFdPath(t: string): { text: string; path: string | null } {
  if (t.startsWith('"') || t.startsWith("{") || t.startsWith("[")) return { text: t, path: null };
  const m = /^(.*?[0-9A-Z_/]\s*)<(.*)>$/s.exec(t);
  if (m === null || !fdPathAt(t, m[1]!.length)) return { text: t, path: null };
  return { text: m[1]!.trim(), path: m[2]!.replace(/ \(deleted\)$/, "") };
}

/**
 * The symbolic reading of an argument: `-X verbose` writes the number and then the names in a
 * C comment, which read as the names unless strace did not know the value (`F_???`); `-X raw`
 * leaves the number.
 * Several such terms may be joined by `|` (clone flags).
 */
export function symbolic(t: string): string {
  const parts = t.split(/\|(?![^/]*\*\/)/);
  return parts.map((p) => {
    const m = /^\s*(\S+)\s*\/\*\s*(.*?)\s*\*\/\s*$/.exec(p);
    if (m === null) return p.trim();
    return m[2]!.includes("?") || m[2] === "" ? m[1]! : m[2]!;
  }).join("|");
}

/** A C number as strace prints it (decimal, 0x hex, 0 octal); null if it is not one. */
export function num(t: string): number | null {
  const s = t.trim();
  let v: bigint;
  if (/^-?0x[0-9a-fA-F]+$/.test(s)) v = BigInt(s.replace(/^-/, ""));
  else if (/^-?0[0-7]+$/.test(s)) v = BigInt("0o" + s.replace(/^-?0/, ""));
  else if (/^-?\d+$/.test(s)) v = BigInt(s.replace(/^-/, ""));
  else return null;
  // strace prints some signed 64-bit arguments (off_t, a count of -1) unsigned: 2^64 - 1 is -1.
  if (v >= 1n << 63n && v < 1n << 64n) v -= 1n << 64n;
  return Number(s.startsWith("-") ? -v : v);
}

/** A string argument: its bytes, and whether strace cut it short (`"..."...`). */
export function str(t: string): { v: string; cut: boolean } | null {
  if (!t.startsWith('"')) return null;
  try {
    const { v, end } = readString(t, 0);
    const rest = t.slice(end);
    if (rest === "") return { v, cut: false };
    if (rest === "...") return { v, cut: true };
    return null;
  } catch {
    return null;
  }
}

/** The fields of a structure `{a=1, b={...}, ...}`: name -> text (nested structures as text). */
export function fields(t: string): Map<string, string> {
  const out = new Map<string, string>();
  const s = t.trim();
  if (!s.startsWith("{") || !s.endsWith("}")) return out;
  for (const p of splitArgs(s.slice(1, -1), 0)) {
    const eq = p.text.indexOf("=");
    if (eq > 0 && /^[a-z_][a-z_0-9]*$/i.test(p.text.slice(0, eq))) out.set(p.text.slice(0, eq), p.text.slice(eq + 1));
  }
  return out;
}

/** The elements of an array `[a, b, ...]`, without a trailing `...` (strace's abbreviation). */
export function elements(t: string): { items: string[]; cut: boolean } | null {
  const s = t.trim();
  if (!s.startsWith("[") || !s.endsWith("]")) return null;
  const items = splitArgs(s.slice(1, -1), 0).map((p) => p.text);
  const cut = items.length > 0 && items[items.length - 1] === "...";
  return { items: cut ? items.slice(0, -1) : items, cut };
}
