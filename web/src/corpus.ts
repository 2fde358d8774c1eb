// The bundled scenarios: every .scn under scenarios/linux, scenarios/proposals and
// scenarios/explore when the page was built. Exploration scripts are grouped by the
// thread's question they answer (their `# question:` line), the others by corpus.
const raw = import.meta.glob("../../scenarios/{linux,proposals,explore}/*.scn", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

export interface Bundled {
  /** `proposals/pinned-truncate-fails-after-break`: the id a link uses. */
  id: string;
  corpus: "linux" | "proposals" | "explore";
  /** The file as the CLI names it (scenarios/...), for error messages. */
  file: string;
  name: string;
  text: string;
  group: string;
  /** The exploration question, for the verdict matrix ("Other scripts" when none). */
  question: string;
}

const CORPUS_TITLE: Record<Bundled["corpus"], string> = {
  explore: "Exploration",
  proposals: "The thread's cases (scenarios/proposals)",
  linux: "Today's kernel, checked on it (scenarios/linux)",
};

export function questionOf(text: string): string | null {
  return /^#\s*question:\s*(.+)$/im.exec(text)?.[1]?.trim() ?? null;
}

export const BUNDLED: Bundled[] = Object.entries(raw).map(([path, text]) => {
  const m = /scenarios\/(linux|proposals|explore)\/(.+)\.scn$/.exec(path)!;
  const corpus = m[1] as Bundled["corpus"];
  const question = questionOf(text) ?? "Other scripts";
  const group = corpus === "explore" ? `${CORPUS_TITLE.explore}: ${question}` : CORPUS_TITLE[corpus];
  return { id: `${corpus}/${m[2]}`, corpus, file: `scenarios/${corpus}/${m[2]}.scn`, name: m[2]!, text, group, question };
}).sort((a, b) => order(a) - order(b) || a.group.localeCompare(b.group) || a.name.localeCompare(b.name));

function order(b: Bundled): number {
  return b.corpus === "explore" ? 0 : b.corpus === "proposals" ? 1 : 2;
}

/** Groups in display order, each with its scenarios. */
export function groups(): { title: string; items: Bundled[] }[] {
  const out: { title: string; items: Bundled[] }[] = [];
  for (const b of BUNDLED) {
    const last = out[out.length - 1];
    if (last !== undefined && last.title === b.group) last.items.push(b);
    else out.push({ title: b.group, items: [b] });
  }
  return out;
}

export function bundled(id: string): Bundled | undefined {
  return BUNDLED.find((b) => b.id === id);
}

/** The scenario the page opens with: the thread's canonical case (Ira Weiny's cover letter). */
export const DEFAULT_ID = "explore/rdma-truncate";
