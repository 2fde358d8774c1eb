// Check: the explorer (in a worker) on this script under one policy or all of them, or on
// every bundled exploration script; a progress bar and Cancel; the verdict matrix, each
// failing property a link that loads its shortest counterexample into the timeline.
import { useEffect, useRef, useState } from "preact/hooks";
import { memo } from "preact/compat";
import type { CheckReport, Counterexample } from "../../src/explore/check.js";
import { PROPERTIES } from "../../src/props/names.js";
import { Checker, type CheckEvent, type CheckJob } from "./checker.js";

const LETTER: Record<string, string> = { "no-corruption": "C", "user-told": "T", "pinner-visible": "V", "recoverable": "R", "no-innocent-hang": "H" };

interface Result { job: CheckJob; report: CheckReport | null; error: string | null }

export interface CheckProps {
  script: Omit<CheckJob, "policy"> | null;
  policy: string;
  policies: string[];
  explore: Omit<CheckJob, "policy">[];
  onLoad: (c: Counterexample, r: CheckReport) => void;
}

const key = (file: string, policy: string) => `${file}\u0000${policy}`;

/** Redrawn when its own inputs change, not at every step. */
export const CheckPanel = memo(function CheckPanel({ script, policy, policies, explore, onLoad }: CheckProps) {
  const checker = useRef(new Checker());
  const [cap, setCap] = useState(200_000);
  const [results, setResults] = useState<Map<string, Result>>(new Map());
  const [last, setLast] = useState<string[]>([]);
  const [progress, setProgress] = useState<{ jobs: CheckJob[]; job: number; states: number; depth: number } | null>(null);
  useEffect(() => () => checker.current.cancel(), []);

  const run = (jobs: CheckJob[]) => {
    setLast(jobs.map((j) => key(j.file, j.policy)));
    setProgress({ jobs, job: 0, states: 0, depth: 0 });
    checker.current.start(jobs, cap, (e: CheckEvent) => {
      if (e.type === "progress") setProgress((p) => p && { ...p, job: e.job, states: e.states, depth: e.depth });
      else if (e.type === "report" || e.type === "error") {
        const job = jobs[e.job];
        if (job !== undefined) {
          const r: Result = { job, report: e.type === "report" ? e.report : null, error: e.type === "error" ? e.message : null };
          setResults((m) => new Map(m).set(key(job.file, job.policy), r));
        }
        setProgress((p) => p && { ...p, job: e.job + 1, states: 0, depth: 0 });
      } else if (e.type === "done") setProgress(null);
    });
  };
  const cancel = () => { checker.current.cancel(); setProgress(null); };
  const busy = progress !== null;
  const lastResults = last.map((k) => results.get(k)).filter((r): r is Result => r !== undefined);

  return (
    <div class="check">
      <p class="hint">Every interleaving of the script's processes, the NIC's <code>@any</code> moves and time running out, judged
        against the five properties; a failing property gets its shortest run, as a script you can step through.</p>
      <div class="check-controls">
        <label>State cap <input type="number" min={100} step={1000} value={cap} onInput={(e) => setCap(Math.max(100, Number((e.target as HTMLInputElement).value) || 100))} /></label>
        <button type="button" disabled={busy || script === null} onClick={() => script && run([{ ...script, policy }])}>Check under {policy}</button>
        <button type="button" disabled={busy || script === null} onClick={() => script && run(policies.map((p) => ({ ...script, policy: p })))}>Check under every policy</button>
        <button type="button" disabled={busy || explore.length === 0} onClick={() => run(explore.flatMap((s) => policies.map((p) => ({ ...s, policy: p }))))}>
          Verdict matrix ({explore.length} exploration script{explore.length === 1 ? "" : "s"})</button>
      </div>
      {progress !== null ? (
        <div class="progress" role="status" aria-live="polite">
          <progress max={cap} value={progress.states} aria-label="states explored, against the cap" />
          <span>check {Math.min(progress.job + 1, progress.jobs.length)} of {progress.jobs.length}
            {progress.jobs[progress.job] ? `: ${progress.jobs[progress.job]!.name} under ${progress.jobs[progress.job]!.policy}` : ""} — {progress.states.toLocaleString("en")} states, depth {progress.depth}</span>
          <button type="button" onClick={cancel}>Cancel</button>
        </div>
      ) : null}
      {lastResults.length > 0 ? <Reports results={lastResults} onLoad={onLoad} /> : null}
      {results.size > 0 ? <Matrix results={results} policies={policies} onLoad={onLoad} /> : null}
    </div>
  );
});

/** Each report of the last check: the verdicts, their shortest runs and a button to load each (the first one open). */
function Reports({ results, onLoad }: { results: Result[]; onLoad: CheckProps["onLoad"] }) {
  return (
    <div class="reports">
      {results.map((r, i) => r.report === null ? <p class="fails" key={r.job.policy}>{r.job.name} under {r.job.policy}: {r.error}</p> : (
        <details class="report" key={r.job.policy} open={i === 0}>
          <summary><h3>{r.report.scenario} under <span class="mono">{r.report.policy}</span>:{" "}
            {r.report.counterexamples.length === 0 ? (r.report.complete ? "all hold" : "unknown") : `${r.report.counterexamples.map((c) => c.property).join(", ")} fail${r.report.counterexamples.length === 1 ? "s" : ""}`}</h3></summary>
          <p>{r.report.complete ? "complete" : `incomplete (stopped by the ${r.report.stopped === "states" ? "state cap" : r.report.stopped})`}:{" "}
            {r.report.states.toLocaleString("en")} states, {r.report.transitions.toLocaleString("en")} transitions, depth {r.report.depth}, {r.report.seconds.toFixed(2)} s
            {r.report.setupRefused ? " — the policy refused every pin the script tries: its question does not arise" : ""}</p>
          <ul class="verdicts">
            {PROPERTIES.map((p) => {
              const v = r.report!.verdicts[p];
              const c = r.report!.counterexamples.find((x) => x.property === p);
              return (
                <li key={p} class={`v-${v}`}>
                  <span class="mono">{p}</span> <strong>{v}</strong>
                  {c ? <> — shortest run {c.length} steps{c.line > 0 ? `, fails at line ${c.line}` : ""}: {c.detail}{" "}
                    <button type="button" class="load-cx" onClick={() => onLoad(c, r.report!)}>Load counterexample</button></> : null}
                </li>
              );
            })}
          </ul>
          {r.report.expectChecked ? <p>{r.report.expectDiffers.length === 0 ? "@expect: every verdict as the script says" : r.report.expectDiffers.map((d) => <span class="fails" key={d}>@expect differs: {d} </span>)}</p> : null}
        </details>
      ))}
    </div>
  );
}

function Cell({ r, onLoad }: { r: Result | undefined; onLoad: CheckProps["onLoad"] }) {
  if (r === undefined) return <td class="cell-none"><span class="sr-only">not checked</span></td>;
  if (r.report === null) return <td class="cell-err" title={r.error ?? ""}>error</td>;
  const rep = r.report;
  const differs = rep.expectChecked && rep.expectDiffers.length > 0;
  const mark = differs ? <span class="differs" title={rep.expectDiffers.join("\n")}>!</span> : null;
  if (rep.setupRefused) return <td class="cell-na" title="the policy refused every pin the script tries">n/a{mark}</td>;
  const fails = rep.counterexamples;
  if (fails.length === 0) return <td class={rep.complete ? "cell-holds" : "cell-unknown"}>{rep.complete ? "holds" : "?"}{mark}</td>;
  return (
    <td class="cell-fails">
      {fails.map((c) => (
        <button type="button" key={c.property} class="cx-link" onClick={() => onLoad(c, rep)}
          title={`${c.property} fails: shortest run ${c.length} steps. Load it.`} aria-label={`${rep.scenario} under ${rep.policy}: ${c.property} fails in ${c.length} steps; load the counterexample`}>
          {LETTER[c.property]}{c.length}
        </button>
      ))}
      {rep.complete ? null : <span title="the search did not finish">?</span>}{mark}
    </td>
  );
}

function Matrix({ results, policies, onLoad }: { results: Map<string, Result>; policies: string[]; onLoad: CheckProps["onLoad"] }) {
  const all = [...results.values()];
  const cols = policies.filter((p) => all.some((r) => r.job.policy === p));
  const scripts = [...new Map(all.map((r) => [r.job.file, r.job])).values()]
    .sort((a, b) => a.question.localeCompare(b.question) || a.name.localeCompare(b.name));
  let question = "";
  return (
    <div class="matrix-wrap">
      <h3>Verdict matrix</h3>
      <p class="hint">Each cell: the properties that fail somewhere in the reachable space, each with the length of its shortest run
        (C no-corruption, T user-told, V pinner-visible, R recoverable, H no-innocent-hang) — click one to load it. holds: all five
        hold everywhere; ?: the search hit the cap; n/a: the policy refused every pin, so the question does not arise; !: differs from the script's @expect lines.</p>
      <div class="matrix-scroll">
        <table class="matrix">
          <thead><tr><th scope="col">script</th>{cols.map((p) => <th scope="col" class="mono" key={p}>{p}</th>)}</tr></thead>
          <tbody>
            {scripts.flatMap((s) => {
              const rows = [];
              if (s.question !== question) {
                question = s.question;
                rows.push(<tr class="question" key={`q ${s.question}`}><th colSpan={cols.length + 1} scope="colgroup">{s.question}</th></tr>);
              }
              rows.push(
                <tr key={s.file}>
                  <th scope="row" class="mono">{s.name}</th>
                  {cols.map((p) => <Cell key={p} r={results.get(key(s.file, p))} onLoad={onLoad} />)}
                </tr>,
              );
              return rows;
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
