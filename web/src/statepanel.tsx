// The state after the selected step, with what that step changed marked (a thick outline and
// the word "changed" or "new"; what went away is listed struck through).
import type { ComponentChildren } from "preact";
import { changes, type Item, type StateView, type BlockView, type MountView } from "./stateview.js";

function Section({ title, id, children, count }: { title: string; id: string; children: ComponentChildren; count?: number }) {
  return (
    <details open class="st-section" id={id}>
      <summary><h3>{title}{count !== undefined ? <span class="count"> ({count})</span> : null}</h3></summary>
      {children}
    </details>
  );
}

function Tag({ kind }: { kind: "new" | "changed" }) {
  return <span class={`tag tag-${kind}`}>{kind}</span>;
}

/** A list of items, the changed ones marked, the gone ones struck through. */
function Items({ prev, cur, mono, empty }: { prev: Item[]; cur: Item[]; mono?: boolean; empty: string }) {
  const d = changes(prev, cur);
  const before = new Set(prev.map((i) => i.key));
  if (cur.length === 0 && d.gone.length === 0) return <p class="empty">{empty}</p>;
  return (
    <ul class={`items${mono ? " mono" : ""}`}>
      {cur.map((i) => (
        <li key={i.key} class={d.changed.has(i.key) ? "chg" : ""}>
          {d.changed.has(i.key) ? <Tag kind={before.has(i.key) ? "changed" : "new"} /> : null}{i.text}
        </li>
      ))}
      {d.gone.map((i) => <li key={`gone ${i.key}`} class="gone"><span class="tag tag-gone">gone</span><s>{i.text}</s></li>)}
    </ul>
  );
}

function blockClass(b: BlockView, changed: boolean): string {
  const c = ["blk"];
  c.push(b.owner === null ? "blk-free" : `blk-file fc${b.colour % 8}`);
  if (b.pins > 0) c.push("blk-pinned");
  if (changed) c.push("chg");
  return c.join(" ");
}

function Blocks({ mount, prev }: { mount: MountView; prev: MountView | undefined }) {
  const d = changes(prev?.blocks ?? [], mount.blocks);
  const used = mount.blocks.filter((b) => b.owner !== null || b.pins > 0);
  return (
    <div class="mount">
      <h4>{mount.title}</h4>
      <div class="blocks" role="list" aria-label={`blocks of ${mount.key}`}>
        {mount.blocks.map((b) => (
          <div role="listitem" class={blockClass(b, d.changed.has(b.key))} key={b.key} title={b.text} aria-label={b.text}>
            <span class="blk-n">{b.n}</span>
            <span class="blk-own">{b.owner === null ? "free" : `${b.label}${b.page >= 0 ? `:${b.page}` : ""}`}</span>
            {b.pins > 0 ? <span class="blk-pin">PIN{b.pins > 1 ? `×${b.pins}` : ""}</span> : null}
          </div>
        ))}
        {mount.total > mount.shown ? <div class="blk-more">… {mount.total - mount.shown} more</div> : null}
      </div>
      <p class="blk-rest">{mount.total < 1 ? "no block used yet" : `blocks ${mount.total} and up: free, never used`}</p>
      <Items prev={(prev?.blocks ?? []).filter((b) => b.owner !== null || b.pins > 0)} cur={used} mono empty="no block in use" />
    </div>
  );
}

export function StatePanel({ view, prev, heading }: { view: StateView; prev: StateView; heading: ComponentChildren }) {
  const lockItems = view.locks, prevLocks = prev.locks;
  const procItems = (v: StateView): Item[] => v.procs.flatMap((p) => [{ key: p.key, text: `${p.name}: ${p.status}` }, ...p.lines.map((l) => ({ key: `${p.key} ${l.key}`, text: `${p.name} ${l.text}` }))]);
  const prevProcs = procItems(prev);
  const pd = changes(prevProcs, procItems(view));
  const hadProc = new Set(prevProcs.map((i) => i.key));
  return (
    <div class="state">
      <div class="st-heading">{heading}<span class="st-time">virtual time {view.now} ms</span></div>
      <Legend />
      <Section title="Blocks of each mount" id="st-blocks">
        {view.mounts.map((m) => <Blocks key={m.key} mount={m} prev={prev.mounts.find((x) => x.key === m.key)} />)}
      </Section>
      <Section title="Files: pages → blocks" id="st-files" count={view.files.length}>
        {view.files.length === 0 ? <p class="empty">no files</p> : null}
        <ul class="files">
          {view.files.map((f) => {
            const before = prev.files.find((x) => x.key === f.key);
            const chg = before?.text !== f.text;
            return (
              <li key={f.key} class={chg ? "chg" : ""}>
                {chg ? <Tag kind={before ? "changed" : "new"} /> : null}
                <span class={`swatch fc${f.colour % 8}`} aria-hidden="true" /> <strong class="mono">{f.path}</strong> <span class="muted">{f.summary}</span>
                <div class="pagemap mono">
                  {f.pages.length === 0 ? <span class="muted">no pages</span> : f.pages.map((p) => (
                    <span key={p.page} class={`pg${before?.pages[p.page]?.block !== p.block ? " chg" : ""}`}>{p.page}→{p.block < 0 ? "hole" : p.block}</span>
                  ))}
                </div>
              </li>
            );
          })}
          {prev.files.filter((x) => !view.files.some((f) => f.key === x.key)).map((x) => <li key={`gone ${x.key}`} class="gone"><span class="tag tag-gone">gone</span><s>{x.text}</s></li>)}
        </ul>
      </Section>
      <Section title="Leases (/proc/locks)" id="st-locks" count={lockItems.length}>
        <Items prev={prevLocks} cur={lockItems} mono empty="no leases" />
      </Section>
      <Section title="Processes: descriptors, mappings, waits" id="st-procs" count={view.procs.length}>
        <ul class="procs">
          {view.procs.map((p) => (
            <li key={p.key} class={`proc${p.dead ? " proc-dead" : ""}${p.asleep ? " proc-asleep" : ""}`}>
              <div class={pd.changed.has(p.key) ? "chg" : ""}>
                {pd.changed.has(p.key) ? <Tag kind={hadProc.has(p.key) ? "changed" : "new"} /> : null}
                <strong>{p.name}</strong> <span class="muted">({p.creds})</span>: {p.status}
              </div>
              {p.lines.length ? (
                <ul class="items mono">
                  {p.lines.map((l) => {
                    const k = `${p.key} ${l.key}`;
                    return <li key={l.key} class={pd.changed.has(k) ? "chg" : ""}>{pd.changed.has(k) ? <Tag kind={hadProc.has(k) ? "changed" : "new"} /> : null}{l.text}</li>;
                  })}
                </ul>
              ) : null}
              {pd.gone.filter((g) => g.key.startsWith(`${p.key} `)).map((g) => <div key={g.key} class="gone mono"><span class="tag tag-gone">gone</span><s>{g.text}</s></div>)}
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Pins: memory regions and io_uring buffers" id="st-pins" count={view.pins.length}>
        <Items prev={prev.pins} cur={view.pins} empty="nothing pinned" />
      </Section>
      <Section title="What an admin sees" id="st-admin">
        {view.admin.map((a) => {
          const before = prev.admin.find((x) => x.title === a.title);
          const chg = before === undefined ? a.lines.length > 0 : before.lines.join("\n") !== a.lines.join("\n");
          return (
            <div key={a.title} class={`term${chg ? " chg" : ""}`}>
              <div class="term-cmd mono"># {a.title}{chg ? <Tag kind="changed" /> : null}</div>
              <pre class="term-out">{a.lines.length ? a.lines.join("\n") : "(nothing)"}</pre>
            </div>
          );
        })}
      </Section>
    </div>
  );
}

function Legend() {
  return (
    <div class="legend" aria-label="legend">
      <span class="blk blk-file fc0 lg"><span class="blk-own">a:0</span></span> a file's block (name:page)
      <span class="blk blk-file fc0 blk-pinned lg"><span class="blk-own">a:0</span><span class="blk-pin">PIN</span></span> pinned (striped, PIN)
      <span class="blk blk-free lg"><span class="blk-own">free</span></span> free (dashed)
      <span class="blk blk-file fc1 chg lg"><span class="blk-own">b:0</span></span> changed by this step (thick outline)
    </div>
  );
}
