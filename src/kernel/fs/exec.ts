// execve(2) (fs/exec.c), as far as the model's objects go: the process runs a new program
// image, which is the same script process carrying on (the oracle's agent re-executes
// itself through /proc/self/exe, the one program a script may name).
import type { KState, Proc } from "../include/state.js";
import { CAP_BITS } from "../include/state.js";
import { fdtOf, dupFdTable, exitFiles, releaseFd, fput } from "./file.js";
import { MMAP_TOP } from "../mm/mmap.js";

const ALL_CAPS = Object.values(CAP_BITS).reduce((a, b) => a | b, 0);

/**
 * begin_new_exec: unshare_files (a table shared with CLONE_FILES is copied, dup_fd), then
 * exec_mmap (the old mm goes: every mapping's file reference with it; long-term pins are
 * not the mm's but their owners': an MR's umem or a ring's buffers keep their pages pinned
 * until their context or ring is released), flush_signal_handlers (the agent installs its
 * handlers again, as the script process's program does), do_close_on_exec (each
 * close-on-exec descriptor closed, lowest first, as filp_close: leases go with the last
 * reference to their open file description, not before). The new credentials
 * (cap_bprm_creds_from_file): without file capabilities, uid 0 gets every capability back
 * (handle_privileged_root) and any other uid none.
 */
export function sysExecve(s: KState, p: Proc): number {
  const t = fdtOf(s, p);
  if (t.users > 1) {
    const copy = dupFdTable(s, t);
    exitFiles(s, p);
    p.fdt = copy;
  }
  for (const v of p.vmas) if (v.file >= 0) fput(s, v.file);
  p.vmas = [];
  p.mmapBase = MMAP_TOP;
  const own = fdtOf(s, p);
  for (let fd = 0; fd < own.fds.length; fd++) {
    const id = own.fds[fd]!;
    if (id < 0 || !own.cloexec[fd]) continue;
    releaseFd(s, p, fd);
    fput(s, id);
  }
  p.caps = p.uid === 0 ? ALL_CAPS : 0;
  return 0;
}
