// /proc/locks, normalised as the contract says: only the lines about the scenario's
// files (and the `->` breaker lines under them), whitespace runs collapsed, the
// ordinal renumbered 1..n, pids as process names, MAJ:MIN:INO as the file's path.
//
// The kernel prints blocked entries with the ordinal of the lease they wait on
// (fs/locks.c locks_show/lock_get_status); renumbering maps each kept ordinal to
// 1..n in order, so a breaker line keeps the number of its lease.

/** `1: LEASE  ACTIVE    READ  123 fe:00:4567 0 EOF` and `1: -> LEASE  BREAKER ...` */
const LINE = /^(\d+):\s+(->\s+)?(\S+)\s+(\S+)\s+(\S+)\s+(-?\d+)\s+(\S+)\s+(.*)$/;

export function normaliseLocks(
  text: string,
  pathOf: (key: string) => string | undefined,
  procName: (pid: number) => string,
): string[] {
  const out: string[] = [];
  const renum = new Map<string, number>();
  let keep = false;
  for (const raw of text.split("\n")) {
    const m = LINE.exec(raw.trim());
    if (!m) continue;
    const [, id, arrow, kind, state, type, pid, where, rest] = m;
    if (arrow === undefined) {
      const f = /^([0-9a-f]+):([0-9a-f]+):(\d+)$/.exec(where!);
      const path = f ? pathOf(`${parseInt(f[1]!, 16).toString(16)}:${parseInt(f[2]!, 16).toString(16)}:${f[3]}`) : undefined;
      keep = path !== undefined;
      if (!keep) continue;
      if (!renum.has(id!)) renum.set(id!, renum.size + 1);
      out.push(`${renum.get(id!)}: ${kind} ${state} ${type} ${procName(Number(pid))} ${path} ${collapse(rest!)}`);
    } else if (keep && renum.has(id!)) {
      out.push(`${renum.get(id!)}: -> ${kind} ${state} ${type} ${procName(Number(pid))} ${where} ${collapse(rest!)}`);
    }
  }
  return out;
}

function collapse(s: string): string {
  return s.trim().replace(/\s+/g, " ");
}
