// The script editor: CodeMirror 6 with the strace-notation highlighting, the parser's
// LINE:COL errors and the run's failed steps as inline diagnostics, and the selected step's
// line marked.
import { useEffect, useRef } from "preact/hooks";
import { EditorState, StateEffect, StateField, type Extension } from "@codemirror/state";
import { EditorView, Decoration, keymap, lineNumbers, highlightActiveLine, drawSelection, type DecorationSet } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { setDiagnostics, lintGutter, type Diagnostic } from "@codemirror/lint";
import { scnHighlighting } from "./lang.js";

/** A note on a line: a parse error (col given), a failed step or a property violation. */
export interface Note { line: number; col: number | null; severity: "error" | "warning" | "info"; message: string }

const setCurrent = StateEffect.define<number>();
const currentLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setCurrent)) continue;
      const n = e.value;
      if (n < 1 || n > tr.state.doc.lines) return Decoration.none;
      deco = Decoration.set([Decoration.line({ class: "cm-step-line" }).range(tr.state.doc.line(n).from)]);
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function toDiagnostics(state: EditorState, notes: Note[]): Diagnostic[] {
  const doc = state.doc;
  return notes.filter((n) => n.line >= 1 && n.line <= doc.lines).map((n) => {
    const line = doc.line(n.line);
    const from = n.col === null ? line.from : Math.min(line.to, line.from + n.col - 1);
    const to = n.col === null ? line.to : Math.max(from, line.to);
    return { from, to: to === from && from < doc.length ? from + 1 : to, severity: n.severity, message: n.message };
  });
}

export interface EditorProps {
  /** The text to show; the editor takes it when `version` changes (a scenario was loaded), not as the user types. */
  text: string;
  version: number;
  onChange: (text: string) => void;
  notes: Note[];
  /** The line of the selected step (0: none). */
  line: number;
  /** The user put the cursor on a line with the pointer. */
  onPickLine: (line: number) => void;
}

export function Editor(p: EditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const props = useRef(p);
  props.current = p;

  useEffect(() => {
    const ext: Extension[] = [
      lineNumbers(), history(), drawSelection(), highlightActiveLine(), lintGutter(), currentLine,
      scnHighlighting(), keymap.of([...defaultKeymap, ...historyKeymap]),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "Script editor", spellcheck: "false" }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) props.current.onChange(u.state.doc.toString());
        const pointer = u.transactions.some((tr) => tr.isUserEvent("select.pointer"));
        if (pointer && !u.docChanged) props.current.onPickLine(u.state.doc.lineAt(u.state.selection.main.head).number);
      }),
    ];
    view.current = new EditorView({ state: EditorState.create({ doc: p.text, extensions: ext }), parent: host.current! });
    return () => view.current?.destroy();
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v === null || v.state.doc.toString() === p.text) return;
    v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: p.text } });
  }, [p.version]);

  useEffect(() => {
    const v = view.current;
    if (v !== null) v.dispatch(setDiagnostics(v.state, toDiagnostics(v.state, p.notes)));
  }, [p.notes]);

  useEffect(() => {
    const v = view.current;
    if (v === null) return;
    v.dispatch({ effects: setCurrent.of(p.line) });
    if (p.line < 1 || p.line > v.state.doc.lines) return;
    // Scroll the editor alone (not the page, which on a phone would jump to the editor).
    const block = v.lineBlockAt(v.state.doc.line(p.line).from);
    const sc = v.scrollDOM;
    if (block.top < sc.scrollTop || block.bottom > sc.scrollTop + sc.clientHeight) sc.scrollTop = Math.max(0, block.top - sc.clientHeight / 3);
  }, [p.line, p.version]);

  return <div class="editor" ref={host} />;
}
