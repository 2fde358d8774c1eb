// The script under every policy (what fails, and where), and two policies side by side:
// only the steps whose results differ, and the properties each breaks.
import type { RunReport } from "../../src/scenario/report.js";
import type { Outcome } from "./model.js";

export interface CompareProps {
  all: Map<string, Outcome<RunReport>>;
  policy: string;
  other: string | null;
  onPolicy: (p: string) => void;
  onOther: (p: string | null) => void;
  onLine: (line: number) => void;
}

function failures(r: RunReport): string {
  const bad = r.steps.filter((s) => !s.ok);
  return bad.length === 0 ? "as written" : `${bad.length} not, from line ${bad[0]!.line}`;
}

export function Compare({ all, policy, other, onPolicy, onOther, onLine }: CompareProps) {
  const a = all.get(policy), b = other === null ? undefined : all.get(other);
  return (
    <div class="compare">
      <h3>Side by side</h3>
      <label>Compare <span class="mono">{policy}</span> with{" "}
        <select value={other ?? ""} onChange={(e) => onOther((e.target as HTMLSelectElement).value || null)} aria-label="Policy to compare with">
          <option value="">(choose a policy)</option>
          {[...all.keys()].filter((p) => p !== policy).map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </label>
      {a !== undefined && b !== undefined && other !== null ? <SideBySide a={a} b={b} pa={policy} pb={other} onLine={onLine} />
        : <p class="hint">Only the steps whose results differ are listed, with the properties that fail at them.</p>}
      <h3>The script under every policy</h3>
      <div class="table-scroll"><table class="policies">
        <thead><tr><th scope="col">policy</th><th scope="col">steps as written?</th><th scope="col">properties that fail (line)</th><th scope="col"><span class="sr-only">actions</span></th></tr></thead>
        <tbody>
          {[...all].map(([p, o]) => (
            <tr key={p} class={p === policy ? "current" : ""}>
              <th scope="row" class="mono">{p}</th>
              {o.ok ? (
                <>
                  <td>{failures(o.value)}</td>
                  <td>{(o.value.violations ?? []).length === 0 ? <span class="holds">all hold</span> : (o.value.violations ?? []).map((v) => <span class="fails" key={v.property}>✗ {v.property} ({v.line}) </span>)}</td>
                </>
              ) : <td colSpan={2} class="fails">model bug: {o.bug}</td>}
              <td class="actions">
                {p === policy ? <span class="tag">shown</span> : (
                  <>
                    <button type="button" onClick={() => onPolicy(p)} aria-label={`show ${p}`}>show</button>
                    <button type="button" onClick={() => onOther(p)} aria-pressed={p === other} aria-label={`compare with ${p}`}>vs</button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table></div>
    </div>
  );
}

function SideBySide({ a, b, pa, pb, onLine }: { a: Outcome<RunReport>; b: Outcome<RunReport>; pa: string; pb: string; onLine: (l: number) => void }) {
  if (!a.ok || !b.ok) return <p class="fails">A model bug stopped one of the runs.</p>;
  const ra = a.value, rb = b.value;
  const at = (r: RunReport, line: number) => (r.violations ?? []).filter((v) => v.line === line).map((v) => v.property).join(", ");
  const rows = ra.steps.map((s, i) => ({ s, t: rb.steps[i]! }))
    .filter(({ s, t }) => s.actual !== t.actual || at(ra, s.line) !== at(rb, t.line));
  const vio = (r: RunReport, line: number) => {
    const v = at(r, line);
    return v ? <div class="fails">✗ {v} fails</div> : null;
  };
  return rows.length === 0 ? <p class="same">Every step gives the same result under both, and the same properties fail.</p> : (
    <table class="sbs" aria-label={`steps whose results differ between ${pa} and ${pb}`}>
      <thead><tr><th scope="col">line</th><th scope="col">step</th><th scope="col" class="mono">{pa}</th><th scope="col" class="mono">{pb}</th></tr></thead>
      <tbody>
        {rows.map(({ s, t }) => (
          <tr key={s.line}>
            <td><button type="button" class="linklike" onClick={() => onLine(s.line)} aria-label={`go to line ${s.line}`}>{s.line}</button></td>
            <td class="mono">{s.proc ? `${s.proc}: ` : ""}{s.step}</td>
            <td class="mono">{s.actual ?? ""}{vio(ra, s.line)}</td>
            <td class="mono">{t.actual ?? ""}{vio(rb, t.line)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
