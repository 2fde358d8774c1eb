// The cases of fcntl_layout(2)'s ERRORS section, as small scenarios: each is run on the
// model under every policy, and the page says what its last step returned. The page is
// generated from these answers, so it cannot drift from the model.
import { parseScenario } from "../scenario/parse.js";
import { runOnModel } from "../run/model.js";
import { ALL } from "../policy/registry.js";

export interface Probe {
  /** What the caller does, as the page says it (roff-free text). */
  what: string;
  /** The steps; the last one is the case. */
  steps: string[];
}

const HEAD = `@sysctl fs.lease-break-time=1
@fs /mnt/pmem type=xfs dax=always size=64M
@file /mnt/pmem/a size=16384 uid=1000
@proc A uid=1000
@proc B uid=1000
@proc C uid=2000
@proc R uid=0
`;

const OPEN = `A: open("/mnt/pmem/a", O_RDWR)`;
const MAP = `A: mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $buf`;
const PIN = [`A: open("/dev/infiniband/uverbs0", O_RDWR)`, `A: ibv_alloc_pd(4) = $pd`, `A: ibv_reg_mr($pd, $buf, 8192, IBV_ACCESS_LOCAL_WRITE|IBV_ACCESS_REMOTE_WRITE) = $mr`];

export const PROBES: Probe[] = [
  { what: "F_SETLEASE with F_LAYOUT, by the file's owner, on a regular file", steps: [OPEN, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`] },
  { what: "F_SETLEASE with F_LAYOUT|F_EXCLUSIVE", steps: [OPEN, `A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`] },
  { what: "F_SETLEASE with F_LAYOUT|F_EXCLUSIVE after F_SETSIG SIGKILL", steps: [OPEN, `A: fcntl(3, F_SETSIG, SIGKILL)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`] },
  { what: "F_SETLEASE with F_LAYOUT by a caller that neither owns the file nor has CAP_LEASE", steps: [`C: open("/mnt/pmem/a", O_RDONLY)`, `C: fcntl(3, F_SETLEASE, F_LAYOUT)`] },
  { what: "F_SETLEASE with F_LAYOUT on a directory, by root", steps: [`R: open("/mnt/pmem", O_RDONLY|O_DIRECTORY)`, `R: fcntl(3, F_SETLEASE, F_LAYOUT)`] },
  { what: "F_GETLEASE after F_SETLEASE with F_LAYOUT", steps: [OPEN, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`, `A: fcntl(3, F_GETLEASE)`] },
  { what: "F_SETLAYOUT with F_RDLCK", steps: [OPEN, `A: fcntl(3, F_SETLAYOUT, F_RDLCK)`] },
  { what: "F_GETLAYOUT after F_SETLAYOUT with F_RDLCK", steps: [OPEN, `A: fcntl(3, F_SETLAYOUT, F_RDLCK)`, `A: fcntl(3, F_GETLAYOUT)`] },
  { what: "a long-term pin (ibv_reg_mr) of a shared FS-DAX mapping, with no layout lease", steps: [OPEN, MAP, ...PIN] },
  { what: "a long-term pin of a shared FS-DAX mapping under the pinner's F_LAYOUT lease", steps: [OPEN, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`, MAP, ...PIN] },
  { what: "a long-term pin of a shared FS-DAX mapping under the pinner's F_LAYOUT|F_EXCLUSIVE lease (after F_SETSIG SIGKILL)", steps: [OPEN, `A: fcntl(3, F_SETSIG, SIGKILL)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`, MAP, ...PIN] },
  { what: "a long-term pin under a layout lease another process holds", steps: [`B: open("/mnt/pmem/a", O_RDONLY)`, `B: fcntl(3, F_SETLEASE, F_LAYOUT)`, OPEN, MAP, ...PIN] },
  { what: "a long-term pin under the pinner's F_SETLAYOUT F_RDLCK layout", steps: [OPEN, `A: fcntl(3, F_SETLAYOUT, F_RDLCK)`, MAP, ...PIN] },
  { what: "another process truncates pinned pages of a file whose holder has an F_LAYOUT lease", steps: [OPEN, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`, MAP, ...PIN, `B: truncate("/mnt/pmem/a", 0)`] },
  { what: "another process truncates pinned pages of a file whose holder has an F_SETLAYOUT F_RDLCK layout", steps: [OPEN, `A: fcntl(3, F_SETLAYOUT, F_RDLCK)`, MAP, ...PIN, `B: truncate("/mnt/pmem/a", 0)`] },
  { what: "another process truncates pinned pages of a file whose holder has an F_LAYOUT|F_EXCLUSIVE lease (after F_SETSIG SIGKILL)", steps: [OPEN, `A: fcntl(3, F_SETSIG, SIGKILL)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`, MAP, ...PIN, `B: truncate("/mnt/pmem/a", 0)`] },
  { what: "the holder of an F_LAYOUT|F_EXCLUSIVE lease (after F_SETSIG SIGKILL) truncates its own pinned pages", steps: [OPEN, `A: fcntl(3, F_SETSIG, SIGKILL)`, `A: fcntl(3, F_SETLEASE, F_LAYOUT|F_EXCLUSIVE)`, MAP, ...PIN, `A: truncate("/mnt/pmem/a", 0)`] },
  { what: "F_SETLEASE with F_UNLCK while pins taken under the lease remain", steps: [OPEN, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`, MAP, ...PIN, `A: fcntl(3, F_SETLEASE, F_UNLCK)`] },
  { what: "close(2) of the leased file's last descriptor, unmapped, while pins remain", steps: [OPEN, `A: fcntl(3, F_SETLEASE, F_LAYOUT)`, MAP, ...PIN, `A: munmap($buf, 16384)`, `A: close(3)`] },
];

/**
 * A probe's answer as the page writes it: 0, an errno name, a lease type, "waits" or
 * "killed"; "n/a" when an earlier step fails under the policy (the case does not arise).
 */
export function answer(probe: Probe, policy: string): string {
  const run = (steps: string[]) => runOnModel(parseScenario(`@scenario probe\n${HEAD}\n${steps.join("\n")}\n`, "probe.scn"), policy).report;
  const r = run(probe.steps);
  if (r.steps.slice(0, -1).some((s) => (s.actual ?? "").startsWith("-1 "))) return "n/a";
  const a = r.steps[r.steps.length - 1]!.actual ?? "";
  if (a === "...") {
    // Does the wait end? A resumed line waits for the call, as long as time and the other processes allow.
    const last = probe.steps[probe.steps.length - 1]!;
    const m = /^([A-Z]+): ([a-z_]+)\(/.exec(last)!;
    const again = run([...probe.steps.slice(0, -1), `${last} ...`, `${m[1]}: <... ${m[2]} resumed>`]);
    const b = again.steps[again.steps.length - 1]!.actual ?? "";
    return b === "..." ? "waits" : b.startsWith("-1 ") ? `${b.slice(3)}*` : b === "?" ? "killed*" : `${b}*`;
  }
  if (a === "?") return "killed";
  if (a.startsWith("-1 ")) return a.slice(3);
  if (a.startsWith("$")) return "0";
  return a;
}

/** Every policy with its default options, and each other value of an option. */
export function policyColumns(): string[] {
  const out: string[] = [];
  for (const p of ALL) {
    out.push(p.name);
    for (const [k, vals] of Object.entries(p.options)) for (const v of vals.slice(1)) out.push(`${p.name},${k}=${v}`);
  }
  return out;
}

/** probe index -> policy -> answer. */
export function answers(): string[][] {
  const cols = policyColumns();
  return PROBES.map((p) => cols.map((c) => answer(p, c)));
}
