// The playground: a script (bundled or typed), run on the model under a policy, stepped
// through on a timeline with the state after each step; the same script under every policy;
// the explorer's verdicts and counterexamples. Everything runs in the page.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { memo } from "preact/compat";
import type { Scenario } from "../../src/scenario/ast.js";
import type { KState } from "../../src/kernel/include/state.js";
import type { SteppedRun } from "../../src/run/steps.js";
import type { CheckReport, Counterexample } from "../../src/explore/check.js";
import { BUNDLED, DEFAULT_ID, bundled, groups } from "./corpus.js";
import { parse, runStepped, runAllPolicies, policiesFor, validPolicy } from "./model.js";
import { Editor, type Note } from "./editor.js";
import { Timeline, timelineModel, laneStates } from "./timeline.js";
import { stateView, type StateView } from "./stateview.js";
import { StatePanel } from "./statepanel.js";
import { Compare } from "./compare.js";
import { CheckPanel } from "./check.js";
import { readHash, writeHash } from "./share.js";

/** The file name a typed script's errors are reported under. */
const TYPED = "playground.scn";
type Tab = "state" | "policies" | "check";
const TABS: { id: Tab; title: string }[] = [{ id: "state", title: "State" }, { id: "policies", title: "Policies" }, { id: "check", title: "Check" }];

function start() {
  const h = readHash(location.hash);
  const b = h.id !== null ? bundled(h.id) : undefined;
  if (b !== undefined) return { text: b.text, id: b.id as string | null, policy: h.policy, step: h.step, compare: h.compare };
  if (h.text !== null) return { text: h.text, id: null, policy: h.policy, step: h.step, compare: h.compare };
  const d = bundled(DEFAULT_ID) ?? BUNDLED[0]!;
  return { text: d.text, id: d.id as string | null, policy: h.policy, step: h.step, compare: h.compare };
}

/** Whether a key press belongs to a control that uses it (the editor, a field, a list box). */
function keyTarget(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  return t.closest(".cm-editor, input, select, textarea, [role=tablist]") !== null;
}

export function App() {
  const init = useMemo(start, []);
  const [text, setText] = useState(init.text);
  const [src, setSrc] = useState(init.text);
  const [id, setId] = useState<string | null>(init.id);
  const [policyChoice, setPolicyChoice] = useState<string | null>(init.policy);
  const [sel, setSel] = useState(init.step);
  const [compare, setCompare] = useState<string | null>(init.compare);
  const [tab, setTab] = useState<Tab>("state");
  const [back, setBack] = useState<{ text: string; id: string | null; policy: string | null } | null>(null);
  const [want, setWant] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  /** Bumped when a script is loaded (not typed): the editor then takes the new text. */
  const [version, setVersion] = useState(0);

  // The model runs a moment after typing stops.
  useEffect(() => {
    if (text === src) return;
    const t = setTimeout(() => setSrc(text), 200);
    return () => clearTimeout(t);
  }, [text]);

  const entry = id !== null ? bundled(id) : undefined;
  const file = entry?.file ?? TYPED;
  const parsed = useMemo(() => parse(src, file), [src, file]);
  const lastGood = useRef<Scenario | null>(null);
  if (parsed.ok) lastGood.current = parsed.sc;
  const sc = parsed.ok ? parsed.sc : lastGood.current;
  const policy = policyChoice !== null && validPolicy(policyChoice) ? policyChoice : sc?.policy ?? "linux";
  const run = useMemo(() => {
    if (sc === null) return null;
    performance.mark("daxlease:run:start");
    const r = runStepped(sc, policy);
    performance.measure("daxlease:run", "daxlease:run:start");
    return r;
  }, [sc, policy]);
  // The script under every policy: computed when the Policies tab is first shown for it.
  const allFor = useRef<{ sc: Scenario; all: ReturnType<typeof runAllPolicies> } | null>(null);
  if (tab === "policies" && sc !== null && allFor.current?.sc !== sc) allFor.current = { sc, all: runAllPolicies(sc) };
  const all = allFor.current?.sc === sc ? allFor.current.all : null;
  const stepped = run !== null && run.ok ? run.value : null;
  const model = useMemo(() => (stepped === null ? null : timelineModel(stepped)), [stepped]);
  const count = stepped?.steps.length ?? 0;
  const cur = Math.min(sel, count);

  // State views, computed once per state shown.
  const views = useRef(new WeakMap<KState, StateView>());
  const viewOf = (k: KState) => {
    let v = views.current.get(k);
    if (v === undefined) { v = stateView(k); views.current.set(k, v); }
    return v;
  };
  const stateAt = (n: number) => (stepped === null ? null : n <= 0 ? stepped.initial : stepped.steps[n - 1]!.state);

  // A counterexample just loaded: select the step where its property fails.
  useEffect(() => {
    if (want === null || stepped === null) return;
    const i = stepped.steps.findIndex((s) => s.violations.some((v) => v.property === want));
    setSel(i >= 0 ? i + 1 : stepped.steps.length);
    setWant(null);
  }, [stepped, want]);

  // The link: what a reader needs to see the same thing.
  // (Written a moment after the last change: replaceState with a long script costs a few ms.)
  useEffect(() => {
    const t = setTimeout(() => {
      const hash = writeHash({ id, text: id === null ? src : null, policy: policyChoice, step: cur, compare });
      if (hash !== location.hash) history.replaceState(null, "", hash);
    }, 250);
    return () => clearTimeout(t);
  }, [id, src, policyChoice, cur, compare]);

  const go = (n: number) => setSel(Math.max(0, Math.min(count, n)));
  const countRef = useRef(count);
  countRef.current = count;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || keyTarget(e.target)) return;
      const n = countRef.current;
      const step: Record<string, (s: number) => number> = {
        ArrowRight: (s) => s + 1, ArrowDown: (s) => s + 1, j: (s) => s + 1, n: (s) => s + 1,
        ArrowLeft: (s) => s - 1, ArrowUp: (s) => s - 1, k: (s) => s - 1, p: (s) => s - 1,
        Home: () => 0, End: () => n,
      };
      const f = step[e.key];
      if (f === undefined) return;
      e.preventDefault();
      setSel((s) => Math.max(0, Math.min(n, f(Math.min(s, n)))));
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const load = (newId: string | null, t: string, newPolicy: string | null = null) => {
    setText(t); setSrc(t); setId(newId); setPolicyChoice(newPolicy); setSel(0); setVersion((v) => v + 1);
  };
  const loadCounterexample = (c: Counterexample, r: CheckReport) => {
    setBack({ text, id, policy: policyChoice });
    load(null, c.script, r.policy);
    setWant(c.property);
    document.getElementById("timeline")?.scrollIntoView({ block: "nearest" });
  };
  const onEdit = (t: string) => {
    setText(t);
    if (id !== null && bundled(id)?.text !== t) setId(null);
  };
  const pickLine = (line: number) => {
    if (stepped === null) return;
    let n = 0;
    stepped.steps.forEach((s, i) => { if (s.step.line <= line) n = i + 1; });
    setSel(n);
  };
  const copyLink = async () => {
    try { await navigator.clipboard.writeText(location.href); setCopied(true); setTimeout(() => setCopied(false), 2000); } catch { setCopied(false); }
  };

  const notes: Note[] = useMemo(() => {
    if (!parsed.ok) return [{ line: parsed.error.line, col: parsed.error.col, severity: "error", message: parsed.error.why }];
    if (stepped === null) return [];
    const out: Note[] = [];
    for (const s of stepped.steps) {
      if (!s.result.ok) out.push({ line: s.step.line, col: null, severity: "warning", message: `under ${policy}: ${s.result.actual}, expected ${s.result.expected}` });
      for (const v of s.violations) out.push({ line: s.step.line, col: null, severity: "info", message: `${v.property} fails here under ${policy}: ${v.detail}` });
    }
    return out;
  }, [parsed, stepped, policy]);

  const policies = useMemo(() => policiesFor(sc), [sc]);
  const loadRef = useRef(loadCounterexample);
  loadRef.current = loadCounterexample;
  const onLoadRef = useMemo(() => (c: Counterexample, r: CheckReport) => loadRef.current(c, r), []);
  const selStep = cur > 0 && stepped !== null ? stepped.steps[cur - 1]! : null;
  const prevState = stateAt(cur - 1), curState = stateAt(cur);
  const script = useMemo(() => (sc === null || !parsed.ok ? null : { file, name: sc.name, question: entry?.question ?? "This script", text: src }), [sc, parsed, file, entry, src]);

  return (
    <>
      <header class="top">
        <h1>daxlease <span>playground</span></h1>
        <ScenarioPicker id={id} name={sc?.name ?? "your script"} onPick={(b) => { setBack(null); load(b, bundled(b)!.text); }} />
        <label>Policy{" "}
          <select value={policy} onChange={(e) => setPolicyChoice((e.target as HTMLSelectElement).value)} aria-label="Policy">
            {policies.map((p) => <option value={p} key={p}>{p}{sc !== null && p === sc.policy ? " (the script's)" : ""}</option>)}
          </select>
        </label>
        <button type="button" onClick={copyLink} title="The script, the policy and the step are in the link">{copied ? "Link copied" : "Copy link"}</button>
        {back !== null ? <button type="button" onClick={() => { load(back.id, back.text, back.policy); setBack(null); }}>Back to the script</button> : null}
      </header>
      <main class="layout">
        <section class="pane pane-script" aria-label="Script">
          <Editor text={text} version={version} onChange={onEdit} notes={notes} line={selStep?.step.line ?? 0} onPickLine={pickLine} />
          {!parsed.ok ? <p class="parse-error" role="alert">{parsed.error.text}{sc !== null ? " (the timeline shows the last script that parsed)" : ""}</p> : null}
          {run !== null && !run.ok ? <p class="parse-error" role="alert">A bug in the model stopped the run: {run.bug}</p> : null}
          {stepped !== null ? <Summary policy={policy} run={stepped} onGo={go} /> : null}
        </section>
        <section class="pane pane-timeline" id="timeline" aria-label="Timeline">
          <div class="stepper" role="group" aria-label="Step">
            <button type="button" onClick={() => go(0)} disabled={cur === 0} aria-label="First step (Home)">First</button>
            <button type="button" onClick={() => go(cur - 1)} disabled={cur === 0} aria-label="Previous step (←)" id="step-back">◀ Back</button>
            <span class="step-count" aria-live="polite">{cur === 0 ? "start" : `step ${cur} of ${count}`}</span>
            <button type="button" onClick={() => go(cur + 1)} disabled={cur >= count} aria-label="Next step (→)" id="step-forward">Forward ▶</button>
            <button type="button" onClick={() => go(count)} disabled={cur >= count} aria-label="Last step (End)">Last</button>
          </div>
          {model !== null && stepped !== null ? <Timeline model={model} initialLanes={laneStates(stepped.initial, model.lanes)} selected={cur} onSelect={go} /> : null}
        </section>
        <section class="pane pane-side" aria-label="Details">
          <div role="tablist" aria-label="Views" class="tabs" onKeyDown={(e) => {
            const i = TABS.findIndex((t) => t.id === tab);
            const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
            if (d === 0) return;
            const next = TABS[(i + d + TABS.length) % TABS.length]!.id;
            setTab(next);
            document.getElementById(`tab-${next}`)?.focus();
          }}>
            {TABS.map((t) => (
              <button type="button" role="tab" id={`tab-${t.id}`} key={t.id} aria-selected={tab === t.id} aria-controls={`panel-${t.id}`}
                tabIndex={tab === t.id ? 0 : -1} onClick={() => setTab(t.id)}>{t.title}</button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="tabpanel">
            {tab === "state" && curState !== null ? (
              <StatePanel view={viewOf(curState)} prev={viewOf(prevState ?? curState)} heading={
                selStep === null ? <span>Before the first step</span> : (
                  <span>After step {cur} (line {selStep.step.line}): <code>{stepLine(selStep)}</code></span>
                )
              } />
            ) : null}
            {tab === "policies" && all !== null ? <Compare all={all} policy={policy} other={compare} onPolicy={(p) => setPolicyChoice(p)} onOther={setCompare} onLine={pickLine} /> : null}
            <div hidden={tab !== "check"}>
              <CheckPanel script={script} policy={policy} policies={policies} explore={EXPLORE} onLoad={onLoadRef} />
            </div>
          </div>
        </section>
      </main>
      <footer class="keys">Keys: ← → or j k step back and forward, Home / End the first and last step (outside the editor). The model runs in this page: nothing is sent anywhere.</footer>
    </>
  );
}

/** A step as strace would print it, with what actually happened. */
function stepLine(s: SteppedRun["steps"][number]): string {
  const st = s.step, actual = s.result.actual ?? "";
  if (st.k === "sleep") return st.text;
  if (st.k === "signals") return `${st.proc}: --- ${actual} ---`;
  if (st.k === "status") return `${st.proc}: +++ ${actual} +++`;
  if (actual === "...") return `${st.proc}: ${st.text} ...`;
  if (st.k === "call" && (st.name === "cat" || st.name === "lsof" || st.name === "rdma") && !/^(-1 |\?$)/.test(actual)) {
    const n = actual === "" ? 0 : actual.split("\n").length;
    return `${st.proc}: ${st.text} → ${n === 0 ? "nothing" : `${n} line${n > 1 ? "s" : ""}`}`;
  }
  const first = actual.split("\n")[0]!;
  return `${st.proc}: ${st.text} = ${first}${actual.includes("\n") ? " …" : ""}`;
}

const EXPLORE = BUNDLED.filter((b) => b.corpus === "explore").map((b) => ({ file: b.file, name: b.name, question: b.question, text: b.text }));
const GROUPS = groups();

/** The bundled scenarios by group; an edited script shows as its own entry. Redrawn only when the choice changes. */
const ScenarioPicker = memo(function ScenarioPicker({ id, name, onPick }: { id: string | null; name: string; onPick: (id: string) => void }) {
  return (
    <label class="pick">Scenario{" "}
      <select aria-label="Scenario" value={id ?? ""} onChange={(e) => { const v = (e.target as HTMLSelectElement).value; if (v !== "") onPick(v); }}>
        {id === null ? <option value="">{name} (edited)</option> : null}
        {GROUPS.map((g) => (
          <optgroup label={g.title} key={g.title}>
            {g.items.map((b) => <option value={b.id} key={b.id}>{b.name}</option>)}
          </optgroup>
        ))}
      </select>
    </label>
  );
}, (a, b) => a.id === b.id && a.name === b.name);

function Summary({ policy, run, onGo }: { policy: string; run: SteppedRun; onGo: (n: number) => void }) {
  const bad = run.steps.map((s, i) => ({ s, i })).filter(({ s }) => !s.result.ok);
  const vio = run.steps.flatMap((s, i) => s.violations.map((v) => ({ v, i })));
  return (
    <div class="summary" aria-label="Run summary">
      <p>Under <strong class="mono">{policy}</strong>: {bad.length === 0 ? <span class="holds">every step as written</span> : (
        <span class="fails">{bad.length} step{bad.length > 1 ? "s" : ""} not as written: {bad.map(({ s, i }) => (
          <button type="button" class="linklike" key={i} onClick={() => onGo(i + 1)}>line {s.step.line}</button>
        ))}</span>
      )}</p>
      <ul class="vio-list">
        {vio.length === 0 ? <li class="holds">all five properties hold along this run</li> : vio.map(({ v, i }) => (
          <li key={v.property} class="fails"><button type="button" class="linklike" onClick={() => onGo(i + 1)}>✗ {v.property} fails at line {v.line}</button></li>
        ))}
        {(run.report.expectFailures ?? []).map((e) => <li class="fails" key={e}>@expect: {e}</li>)}
      </ul>
    </div>
  );
}
