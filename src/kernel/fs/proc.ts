// Admin views (fs/proc, fs/locks.c locks_show, lsof, the rdma tool), in the contract's
// notation: a process is written by its name.
import type { KState, Proc, PinSet } from "../include/state.js";
import { FK_INODE, PState, CAP } from "../include/state.js";
import { ENOENT, EACCES } from "../include/errno.js";
import { procLocksLines } from "../locks/locks.js";
import { procFds } from "./file.js";

function alive(p: Proc): boolean {
  return p.state === PState.Running || p.state === PState.Blocked;
}

function nameOf(s: KState, pid: number): string {
  return s.procs.find((p) => p.pid === pid)?.name ?? String(pid);
}

/** The lines of a /proc file; null when there is no such file. */
export function catProc(s: KState, path: string, reader: Proc): string[] | number {
  if (path === "/proc/locks") return procLocksLines(s);
  if (path === "/proc/vmstat") return [`nr_foll_pin_acquired ${s.pinAcquired}`, `nr_foll_pin_released ${s.pinReleased}`];
  const m = /^\/proc\/([A-Za-z][A-Za-z0-9_]*)\/file_pins$/.exec(path);
  if (m && s.pol.filePinsView) {
    const p = s.procs.find((x) => x.name === m[1] && alive(x));
    if (p === undefined) return -ENOENT;
    // proc_mem_open(PTRACE_MODE_READ): the same uid, or CAP_SYS_PTRACE.
    if (reader.uid !== p.uid && !(reader.caps & CAP.SYS_PTRACE)) return -EACCES;
    return filePins(s, p);
  }
  return -ENOENT;
}

/**
 * RFC v2 patch 18: each owner fd (an RDMA context), then the files its pins hold, indented
 * three spaces; pins with no owner file (io_uring's, through vaddr_pin with only an mm)
 * as `mm: <path>`.
 */
function filePins(s: KState, p: Proc): string[] {
  const out: string[] = [];
  for (const ps of s.pinsets) {
    if (ps === null || ps.kind !== "uring" || ps.pinned.length === 0 || ps.pid !== p.pid) continue;
    for (const f of new Set(ps.files)) out.push(`mm: ${f}`);
  }
  procFds(s, p).forEach((id, fd) => {
    if (id < 0) return;
    const sets = s.pinsets.filter((ps): ps is PinSet => ps !== null && ps.kind === "mr" && ps.ctx === id && ps.pinned.length > 0);
    if (sets.length === 0) return;
    out.push(`${fd}: ${s.inodes[s.files[id]!.ino]!.path}`);
    const seen = new Set<string>();
    for (const ps of sets) for (const f of ps.files) if (!seen.has(f)) { seen.add(f); out.push(`   ${f}`); }
  });
  return out;
}

/** lsof FILE: the processes with the file open (fd and mode) or mapped ("mem"); mr-owned adds the MRs. */
export function lsofLines(s: KState, path: string): string[] {
  const ino = s.dents[path] ?? s.inodes.find((i) => i !== null && i.path === path)?.ino ?? -1;
  const out: string[] = [];
  for (const p of s.procs) {
    if (!alive(p)) continue;
    procFds(s, p).forEach((id, fd) => {
      const f = id >= 0 ? s.files[id] : null;
      if (f && f.kind === FK_INODE && f.ino === ino) out.push(`${p.name} ${fd}${f.fmode === 3 ? "u" : f.fmode === 2 ? "w" : "r"} ${path}`);
    });
    if (p.vmas.some((v) => v.file >= 0 && s.files[v.file]!.ino === ino)) out.push(`${p.name} mem ${path}`);
  }
  if (s.pol.mrFileView) {
    for (const ps of s.pinsets) if (ps !== null && ps.kind === "mr" && ps.files.includes(path)) out.push(`${nameOf(s, ps.pid)} mr${ps.id} ${path}`);
  }
  return out;
}

/**
 * rdma resource show mr: one line per memory region, with the task that registered it
 * (ib_uverbs_reg_mr: rdma_restrack_set_name(res, NULL) keeps `current`; a fork or a passed
 * context does not change it). nldev.c fill_res_name_pid prints task_pid_vnr(res->task),
 * and no pid once that task is dead.
 */
export function rdmaLines(s: KState, what: string): string[] | null {
  if (what.trim().replace(/\s+/g, " ") !== "resource show mr") return null;
  const out: string[] = [];
  for (const ps of s.pinsets) {
    if (ps === null || ps.kind !== "mr" || ps.dead) continue;
    const reg = s.procs.find((p) => p.pid === ps.pid);
    let line = `mrn ${ps.id} mrlen ${ps.len} pdn ${ps.pd}`;
    if (reg !== undefined && alive(reg)) line += ` pid ${reg.name}`;
    if (ps.odp) line += " odp";
    if (s.pol.mrFileView) for (const f of [...new Set(ps.files)]) line += ` file ${f}`;
    out.push(line);
  }
  return out;
}
