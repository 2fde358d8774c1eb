// A small tokenizer for the argument lists and results of strace notation.
import type { Arg } from "./ast.js";

export class LexError extends Error {
  constructor(readonly offset: number, msg: string) { super(msg); }
}

/** Index of the `#` that starts a comment, or -1; `#` inside a string does not count. */
export function commentStart(s: string): number {
  let inStr = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inStr) {
      if (c === "\\") i++;
      else if (c === '"') inStr = false;
    } else if (c === '"') inStr = true;
    else if (c === "#") return i;
  }
  return -1;
}

/** Decodes a C string literal starting at s[i] === '"'. Returns the bytes and the index after it. */
export function readString(s: string, i: number): { v: string; end: number } {
  let out = "";
  let j = i + 1;
  while (j < s.length) {
    const c = s[j]!;
    if (c === '"') return { v: out, end: j + 1 };
    if (c !== "\\") {
      const code = c.charCodeAt(0);
      if (code > 0xff) throw new LexError(j, "only ASCII and \\x escapes may appear in a string");
      out += c;
      j++;
      continue;
    }
    const e = s[j + 1];
    if (e === undefined) break;
    const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'", v: "\v", f: "\f", a: "\x07", b: "\b" };
    if (simple[e] !== undefined) { out += simple[e]; j += 2; continue; }
    if (e === "x") {
      const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(j + 2));
      if (!m) throw new LexError(j, "\\x needs hex digits");
      out += String.fromCharCode(parseInt(m[0], 16));
      j += 2 + m[0].length;
      continue;
    }
    const m = /^[0-7]{1,3}/.exec(s.slice(j + 1));
    if (m) {
      const v = parseInt(m[0], 8);
      if (v > 0xff) throw new LexError(j, "octal escape out of range");
      out += String.fromCharCode(v);
      j += 1 + m[0].length;
      continue;
    }
    throw new LexError(j, `unknown escape \\${e}`);
  }
  throw new LexError(i, "unterminated string");
}

/** The offset, in the literal `text` (starting with its quote), of the escape or character that gives byte `k`. */
export function rawOffsetOfByte(text: string, k: number): number {
  let j = 1;
  for (let n = 0; n < k && j < text.length; n++) {
    if (text[j] !== "\\") { j++; continue; }
    const e = text[j + 1] ?? "";
    const m = e === "x" ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(j + 2)) : /^[0-7]{1,3}/.exec(text.slice(j + 1));
    j += e === "x" ? 2 + (m?.[0].length ?? 0) : m ? 1 + m[0].length : 2;
  }
  return j;
}

/** strace's quoting of a byte string. */
export function quoteBytes(v: string): string {
  let out = '"';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0d) out += "\\r";
    else if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    else {
      const next = i + 1 < v.length ? v.charCodeAt(i + 1) : -1;
      // strace prints \0 unless an octal digit follows.
      out += next >= 0x30 && next <= 0x37 ? "\\" + c.toString(8).padStart(3, "0") : "\\" + c.toString(8);
    }
  }
  return out + '"';
}

function parseNumber(t: string): number | null {
  if (/^-?0[xX][0-9a-fA-F]+$/.test(t)) return t.startsWith("-") ? -parseInt(t.slice(3), 16) : parseInt(t.slice(2), 16);
  if (/^-?0[0-7]+$/.test(t)) return t.startsWith("-") ? -parseInt(t.slice(2), 8) : parseInt(t.slice(1), 8);
  if (/^-?\d+$/.test(t)) return Number(t);
  return null;
}

const SYM_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:[+-]\d+)?/;
const NUM_RE = /^-?(?:0[xX][0-9a-fA-F]+|\d+)/;

/**
 * Splits `s` (the text between the parentheses of a call) into arguments.
 * `base` is the column of s[0], so that errors point into the line.
 */
export function lexArgs(s: string, base: number): Arg[] {
  const args: Arg[] = [];
  let i = 0;
  const skip = () => { while (i < s.length && (s[i] === " " || s[i] === "\t")) i++; };
  skip();
  if (i >= s.length) return args;
  for (;;) {
    skip();
    const start = i;
    const col = base + start;
    const c = s[i];
    if (c === undefined) throw new LexError(i, "missing argument");
    if (c === '"') {
      const { v, end } = readString(s, i);
      i = end;
      args.push({ k: "str", v, text: s.slice(start, i), col });
    } else if (c === "$") {
      const m = /^\$[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
      if (!m) throw new LexError(i, "a variable is $ and a name");
      i += m[0].length;
      args.push({ k: "var", v: m[0].slice(1), text: m[0], col });
    } else {
      const parts: (string | number)[] = [];
      for (;;) {
        skip();
        const rest = s.slice(i);
        const num = NUM_RE.exec(rest);
        const sym = SYM_RE.exec(rest);
        if (num && !(sym && sym.index === 0 && /^[A-Za-z_]/.test(rest))) {
          const n = parseNumber(num[0]);
          if (n === null) throw new LexError(i, `bad number ${num[0]}`);
          parts.push(n);
          i += num[0].length;
        } else if (sym) {
          parts.push(sym[0]);
          i += sym[0].length;
        } else throw new LexError(i, `unexpected ${JSON.stringify(s[i] ?? "end")}`);
        skip();
        if (s[i] === "|") { i++; continue; }
        break;
      }
      const text = s.slice(start, i).trim();
      if (parts.length === 1 && typeof parts[0] === "number") args.push({ k: "num", v: parts[0], text, col });
      else args.push({ k: "sym", v: parts, text, col });
    }
    skip();
    if (i >= s.length) return args;
    if (s[i] !== ",") throw new LexError(i, `expected , or ) but found ${JSON.stringify(s[i])}`);
    i++;
  }
}

/** Index of the `)` that closes the `(` at s[open], skipping strings. */
export function closingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '"') { i = readString(s, i).end - 1; continue; }
    if (c === "(" || c === "{") depth++;
    else if (c === ")" || c === "}") { depth--; if (depth === 0) return i; }
  }
  return -1;
}
