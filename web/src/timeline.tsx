// The timeline: one row per step of the script, one lane per process, plus the NIC's lane
// and the admin's (the ADMIN process, and time passing). Each step shows its result where
// it was made; a sleeping call is a hatched span down its lane until it returns; signals are
// arrows from the lane that caused them; a property is marked on the step where it first fails.
import { useCallback, useEffect, useRef } from "preact/hooks";
import { memo } from "preact/compat";
import type { SteppedRun, RunStep } from "../../src/run/steps.js";
import type { KState } from "../../src/kernel/include/state.js";
import { PState } from "../../src/kernel/include/state.js";
import { signalName } from "../../src/kernel/include/signal_names.js";

export interface Lane { name: string; title: string }

type LaneState = "none" | "running" | "asleep" | "dead";

export interface Row {
  /** 1-based step number (0 is the state before the first step). */
  n: number;
  line: number;
  lane: number;
  kind: RunStep["step"]["k"];
  who: string;
  text: string;
  result: string | null;
  ok: boolean;
  expected: string | null;
  lanes: LaneState[];
  arrows: { from: number; to: number; label: string }[];
  violations: { property: string; detail: string }[];
}

export interface TimelineModel {
  lanes: Lane[];
  rows: Row[];
  /** Lanes that some step is made in or some signal reaches (the others are drawn narrow). */
  used: boolean[];
}

const ADMIN = "ADMIN";

export function laneStates(k: KState, lanes: Lane[]): LaneState[] {
  return lanes.map((l) => {
    const p = k.procs.find((x) => x.name === l.name);
    if (p === undefined) return "none";
    if (p.state === PState.Exited || p.state === PState.Killed) return "dead";
    return p.state === PState.Blocked ? "asleep" : "running";
  });
}

export function timelineModel(run: SteppedRun): TimelineModel {
  const procLanes = run.procs.filter((n) => n !== ADMIN).map((n) => ({ name: n, title: n }));
  const lanes: Lane[] = [...procLanes, { name: "NIC", title: "NIC" }, { name: ADMIN, title: "admin · time" }];
  const nic = procLanes.length, admin = procLanes.length + 1;
  const laneOf = (proc: string | null) => (proc === null ? admin : proc === "NIC" ? nic : proc === ADMIN ? admin : Math.max(0, procLanes.findIndex((l) => l.name === proc)));
  let prev = run.initial;
  const rows = run.steps.map((s, i): Row => {
    const step = s.step;
    const lane = step.k === "sleep" ? admin : laneOf(step.proc);
    const arrows: Row["arrows"] = [];
    const seen = new Set<string>();
    const add = (to: number, label: string) => {
      const key = `${to}:${label}`;
      if (seen.has(key)) return;
      seen.add(key);
      arrows.push({ from: lane, to, label });
    };
    for (const g of s.signals) add(laneOf(g.proc), signalName(g.sig.signo));
    // Fatal signals never reach user space: a process killed during the step.
    for (const p of s.state.procs) {
      if (p.state !== PState.Killed) continue;
      const before = prev.procs.find((x) => x.pid === p.pid);
      if (before !== undefined && before.state === PState.Killed) continue;
      add(laneOf(p.name), signalName(p.code));
    }
    const r = s.result;
    const text = step.text;
    prev = s.state;
    return {
      n: i + 1, line: step.line, lane, kind: step.k, who: step.k === "sleep" ? "" : step.proc, text,
      result: r.actual, ok: r.ok, expected: r.expected, lanes: laneStates(s.state, lanes), arrows,
      violations: s.violations.map((v) => ({ property: v.property, detail: v.detail })),
    };
  });
  const used = lanes.map((_, j) => rows.some((r) => r.lane === j || r.arrows.some((a) => a.to === j) || r.lanes[j] === "asleep"));
  return { lanes, rows, used };
}

/** Brings a row into view inside the pane that scrolls it, without scrolling the page. */
function scrollWithin(row: HTMLElement) {
  const pane = row.closest<HTMLElement>(".pane-timeline");
  if (pane === null) return;
  const head = pane.querySelector<HTMLElement>(".tl-head")!.getBoundingClientRect().bottom - pane.getBoundingClientRect().top;
  const r = row.getBoundingClientRect(), p = pane.getBoundingClientRect();
  const top = r.top - p.top, bottom = r.bottom - p.top;
  if (top < head) pane.scrollTop += top - head;
  else if (bottom > pane.clientHeight) pane.scrollTop += Math.min(bottom - pane.clientHeight, top - head);
}

/** Lets a long call wrap after `(`, `|` and `,` rather than inside a flag's name. */
function breakable(s: string): string {
  return s.replace(/([(|,])/g, "$1\u200b");
}

function resultText(r: Row): string {
  if (r.kind === "sleep") return "";
  // A signal or status line shows what happened in the chip itself.
  if (r.kind === "signals" || r.kind === "status") return "";
  if (r.result === null) return "";
  if (r.result === "...") return " ...";
  if (r.text.startsWith("cat(") || r.text.startsWith("lsof(") || r.text.startsWith("rdma(")) {
    return r.result === "" ? " → (nothing)" : ` → ${r.result.split("\n").length} line${r.result.includes("\n") ? "s" : ""}`;
  }
  return ` = ${r.result}`;
}

function chipText(r: Row): string {
  if (r.kind === "signals") return `--- ${r.result ?? ""} ---`;
  if (r.kind === "status") return `+++ ${r.result ?? ""} +++`;
  if (r.kind === "sleep") return `${r.text} (time passes)`;
  return r.text;
}

export interface TimelineProps {
  model: TimelineModel;
  initialLanes: LaneState[];
  selected: number;
  onSelect: (n: number) => void;
}

/** The cells of one row: a lane's state (asleep, gone, not born yet), and the step's chip in its lane. */
function LaneCells({ lanes, states, row }: { lanes: Lane[]; states: LaneState[]; row: Row | null }) {
  return (
    <>
      {lanes.map((l, j) => {
        const st = states[j]!;
        const mine = row !== null && row.lane === j;
        const label = st === "asleep" ? `${l.name} asleep` : st === "dead" ? `${l.name} gone` : "";
        return (
          <div class={`tl-cell lane-${st}${mine ? " has-chip" : ""}`} style={{ gridColumn: j + 2, gridRow: 1 }} key={l.name}>
            {label && !mine ? <span class="sr-only">{label}</span> : null}
            {mine && row !== null ? (
              <span class={`chip kind-${row.kind}${row.ok ? "" : " chip-bad"}${row.result === "..." ? " chip-sleeps" : ""}`} title={`line ${row.line}: ${row.who ? row.who + ": " : ""}${chipText(row)}${resultText(row)}`}>
                <span class="chip-call">{breakable(chipText(row))}</span>
                <span class="chip-res">{resultText(row)}</span>
                {!row.ok ? <span class="chip-exp"> ≠ expected {row.expected === "" ? "(nothing)" : row.expected}</span> : null}
                {row.result === "..." ? <span class="chip-note"> (asleep)</span> : null}
              </span>
            ) : null}
          </div>
        );
      })}
    </>
  );
}

/** One step's row; redrawn only when its own selection changes (a step is then two rows' work, not all). */
const RowView = memo(function RowView({ r, lanes, selected, pick }: { r: Row; lanes: Lane[]; selected: boolean; pick: (n: number) => void }) {
  return (
    <div id={`tl-step-${r.n}`} role="option" aria-selected={selected}
      class={`tl-row${selected ? " selected" : ""}${r.violations.length ? " violated" : ""}${r.ok ? "" : " failed"}`}
      data-line={r.line} onClick={() => pick(r.n)}>
      <div class="tl-line">{r.line}</div>
      <LaneCells lanes={lanes} states={r.lanes} row={r} />
      {r.arrows.map((a, i) => <Arrow key={i} a={a} />)}
      {r.violations.map((v) => (
        <div class="tl-violation" key={v.property}>
          <span class="vio-mark" aria-hidden="true">✗</span> <strong>{v.property}</strong> fails here: {v.detail}
        </div>
      ))}
    </div>
  );
});

export function Timeline({ model, initialLanes, selected, onSelect }: TimelineProps) {
  const list = useRef<HTMLDivElement>(null);
  const latest = useRef(onSelect);
  latest.current = onSelect;
  const pick = useCallback((n: number) => latest.current(n), []);
  const cols = `3rem ${model.used.map((u) => (u ? "minmax(5.5rem, 1fr)" : "minmax(2.2rem, 0.25fr)")).join(" ")}`;
  useEffect(() => {
    const row = list.current?.querySelector<HTMLElement>(`#tl-step-${selected}`);
    if (!row) return;
    scrollWithin(row);
    // Rows come into view at their estimated height (content-visibility): once more with the real one.
    const f = requestAnimationFrame(() => scrollWithin(row));
    return () => cancelAnimationFrame(f);
  }, [selected, model]);
  return (
    <div class="timeline" style={{ "--tl-cols": cols }}>
      <div class="tl-head" aria-hidden="true">
        <div class="tl-line">line</div>
        {model.lanes.map((l, j) => <div class="tl-lane-name" style={{ gridColumn: j + 2 }} key={l.name} title={l.title}>{l.title}</div>)}
      </div>
      <div class="tl-rows" role="listbox" aria-label="Steps" tabindex={0} ref={list}
        aria-activedescendant={`tl-step-${selected}`}>
        <div id="tl-step-0" role="option" aria-selected={selected === 0} class={`tl-row${selected === 0 ? " selected" : ""}`} onClick={() => pick(0)}>
          <div class="tl-line">start</div>
          <LaneCells lanes={model.lanes} states={initialLanes} row={null} />
          <div class="tl-start">the state the directives set up</div>
        </div>
        {model.rows.map((r) => <RowView key={r.n} r={r} lanes={model.lanes} selected={selected === r.n} pick={pick} />)}
      </div>
    </div>
  );
}

/** A signal: a line from the sender's lane to the receiver's, arrowhead and name at the receiver. */
function Arrow({ a }: { a: { from: number; to: number; label: string } }) {
  const lo = Math.min(a.from, a.to), hi = Math.max(a.from, a.to);
  const n = hi - lo + 1;
  const self = a.from === a.to;
  const half = `calc(100% / ${2 * n})`;
  return (
    <div class={`tl-arrow${self ? " self" : a.to > a.from ? " right" : " left"}`} style={{ gridColumn: `${lo + 2} / ${hi + 3}`, gridRow: 1, "--half": half }}
      title={`${a.label} sent to this lane`}>
      <span class="arrow-label">{self ? `↺ ${a.label}` : a.to > a.from ? `${a.label} ▶` : `◀ ${a.label}`}</span>
    </div>
  );
}
