// Highlighting for `.scn` scripts (strace notation plus directives): a CodeMirror stream
// tokenizer. It only colours; what is valid is the core parser's to say (its errors are
// shown inline by the editor).
import { StreamLanguage, HighlightStyle, syntaxHighlighting, type StringStream } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";

interface LineState { /** Where in the line: its start, a directive, a step. */ at: "start" | "directive" | "step" | "expect"; sawMinusOne: boolean }

function token(stream: StringStream, st: LineState): string | null {
  if (stream.sol()) { st.at = "start"; st.sawMinusOne = false; }
  if (stream.eatSpace()) return null;
  if (stream.peek() === "#") { stream.skipToEnd(); return "comment"; }
  if (st.at === "start") {
    if (stream.match(/^@[a-z]+/)) { st.at = "directive"; return "keyword"; }
    // An expected line of a view: `> 1: LEASE ACTIVE ...`.
    if (stream.match(/^>.*/)) return "string.special";
    if (stream.match(/^sleep\b/)) { st.at = "step"; return "keyword"; }
    if (stream.match(/^[A-Za-z][A-Za-z0-9_]*\??\s*:/)) { st.at = "step"; return "labelName"; }
    st.at = "step";
  }
  if (st.at === "directive") {
    if (stream.match(/^[a-z][a-z.-]*(?==)/)) return "propertyName";
    if (stream.match(/^[A-Za-z][A-Za-z0-9_]*\??\s*:/)) { st.at = "step"; return "labelName"; }
    if (stream.eat("=")) return "operator";
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
    if (stream.match(/^[0-9][0-9a-zA-Z]*/)) return "number";
    if (stream.match(/^[^\s=#]+/)) return "atom";
    stream.next();
    return null;
  }
  // A step: the call, its arguments, its result.
  if (stream.match(/^(---|\+\+\+)/)) {
    // `--- SIGIO ---`, `+++ killed by SIGKILL +++`: what happened to the process.
    stream.match(/^[^#]*?(---|\+\+\+)/) || stream.match(/^[^#]*/);
    return "meta";
  }
  if (stream.match(/^<\.\.\.\s*[a-z_0-9]+\s+resumed>/)) return "meta";
  if (stream.match("...")) return "meta";
  if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
  if (stream.match(/^\$[A-Za-z_][A-Za-z0-9_]*/)) return "variableName.special";
  if (stream.match(/^-1\b/)) { st.sawMinusOne = true; return "number"; }
  if (stream.match(/^-?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?[a-zA-Z]*)/)) return "number";
  if (stream.match(/^[a-z_][a-z0-9_]*(?=\s*\()/)) return "variableName.function";
  if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*/)) {
    const w = stream.current();
    // The errno of a failed call: `= -1 ETXTBSY`.
    if (st.sawMinusOne && /^E[A-Z0-9]+$/.test(w)) return "invalid";
    return /^[A-Z][A-Z0-9_]*$/.test(w) ? "atom" : "variableName";
  }
  if (stream.eat("=")) { st.at = "expect"; return "operator"; }
  stream.next();
  return null;
}

export const scnLanguage = StreamLanguage.define<LineState>({
  name: "scn",
  startState: () => ({ at: "start", sawMinusOne: false }),
  copyState: (s) => ({ ...s }),
  token,
  languageData: { commentTokens: { line: "#" } },
});

/** Colours chosen to stay apart for the common colour-vision deficiencies; weight and style help too. */
const style = HighlightStyle.define([
  { tag: t.comment, color: "#5b6470", fontStyle: "italic" },
  { tag: t.keyword, color: "#7b2fa0", fontWeight: "600" },
  { tag: t.labelName, color: "#004f9e", fontWeight: "700" },
  { tag: t.function(t.variableName), color: "#0b6e4f" },
  { tag: t.string, color: "#8a4b00" },
  { tag: t.special(t.string), color: "#555", fontStyle: "italic" },
  { tag: t.number, color: "#1f5f99" },
  { tag: t.atom, color: "#434a9c" },
  { tag: t.special(t.variableName), color: "#a0006b", fontWeight: "600" },
  { tag: t.invalid, color: "#b00020", fontWeight: "700" },
  { tag: t.meta, color: "#6b4e00", fontWeight: "600" },
  { tag: t.propertyName, color: "#555" },
  { tag: t.operator, color: "#333" },
]);

export function scnHighlighting() {
  return [scnLanguage, syntaxHighlighting(style)];
}
