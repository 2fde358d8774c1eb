// A small tokenizer for the argument lists and results of strace notation.
import type { Arg, Field } from "./ast.js";

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
 * `base` is the column of s[0], so that errors point into the line. Besides strings,
 * `$names`, numbers and symbols joined by `|`, an argument may be strace's array
 * (`[3, 4]`), structure (`{iov_base="x", iov_len=1}`) or named value (`flags=CLONE_FILES`);
 * a C comment counts as blank (strace writes an environment as `0x7ffd` and the comment `39 vars`).
 */
export function lexArgs(s: string, base: number): Arg[] {
  const lx = new Lexer(s, base);
  lx.skip();
  if (lx.i >= s.length) return [];
  const args = lx.list(null, true);
  if (lx.i < s.length) throw new LexError(lx.i, `expected , or ) but found ${JSON.stringify(s[lx.i])}`);
  return args;
}

class Lexer {
  i = 0;
  constructor(private s: string, private base: number) {}

  skip() {
    const s = this.s;
    for (;;) {
      while (this.i < s.length && (s[this.i] === " " || s[this.i] === "\t")) this.i++;
      if (!s.startsWith("/*", this.i)) return;
      const end = s.indexOf("*/", this.i + 2);
      if (end < 0) throw new LexError(this.i, "unterminated /* comment");
      this.i = end + 2;
    }
  }

  /** Values separated by commas, up to `close` (or the end of the text when null). */
  list(close: string | null, top: boolean): Arg[] {
    const out: Arg[] = [];
    this.skip();
    if (close !== null && this.s[this.i] === close) { this.i++; return out; }
    for (;;) {
      out.push(this.value(top));
      this.skip();
      const c = this.s[this.i];
      if (c === ",") { this.i++; continue; }
      if (close === null) return out;
      if (c === close) { this.i++; return out; }
      throw new LexError(this.i, c === undefined ? `missing ${close}` : `expected , or ${close} but found ${JSON.stringify(c)}`);
    }
  }

  value(top: boolean): Arg {
    this.skip();
    const s = this.s;
    const start = this.i;
    const col = this.base + start;
    const c = s[this.i];
    if (c === undefined || c === "," || c === ")" || c === "]" || c === "}") throw new LexError(this.i, "missing argument");
    if (c === '"') {
      const { v, end } = readString(s, this.i);
      this.i = end;
      return { k: "str", v, text: s.slice(start, this.i), col };
    }
    if (c === "$") {
      const m = /^\$[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.i));
      if (!m) throw new LexError(this.i, "a variable is $ and a name");
      this.i += m[0].length;
      return { k: "var", v: m[0].slice(1), text: m[0], col };
    }
    if (c === "[") {
      this.i++;
      const v = this.list("]", false);
      return { k: "arr", v, text: s.slice(start, this.i), col };
    }
    if (c === "{") {
      this.i++;
      const v: Field[] = [];
      for (const a of this.list("}", false)) {
        if (a.k !== "named") throw new LexError(a.col - this.base, "a structure's fields are key=value");
        v.push({ key: a.key, v: a.v, col: a.col });
      }
      return { k: "struct", v, text: s.slice(start, this.i), col };
    }
    const parts: (string | number)[] = [];
    for (;;) {
      this.skip();
      const rest = s.slice(this.i);
      const num = NUM_RE.exec(rest);
      const sym = SYM_RE.exec(rest);
      if (num && !(sym && sym.index === 0 && /^[A-Za-z_]/.test(rest))) {
        const n = parseNumber(num[0]);
        if (n === null) throw new LexError(this.i, `bad number ${num[0]}`);
        parts.push(n);
        this.i += num[0].length;
      } else if (sym) {
        parts.push(sym[0]);
        this.i += sym[0].length;
        // `key=value`: a named argument (clone's) or a structure's field.
        if (parts.length === 1 && s[this.i] === "=" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(sym[0])) {
          this.i++;
          const v = this.value(false);
          return { k: "named", key: sym[0], v, text: s.slice(start, this.i), col };
        }
      } else throw new LexError(this.i, `unexpected ${JSON.stringify(s[this.i] ?? "end")}`);
      this.skip();
      if (s[this.i] === "|") { this.i++; continue; }
      break;
    }
    void top;
    const text = s.slice(start, this.i).trim();
    if (parts.length === 1 && typeof parts[0] === "number") return { k: "num", v: parts[0], text, col };
    return { k: "sym", v: parts, text, col };
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
