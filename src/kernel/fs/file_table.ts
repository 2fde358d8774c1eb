// The end of a file's life (fs/file_table.c __fput, run as task work before the call that
// dropped the last reference returns to user space).
import type { KState } from "../include/state.js";
import { FK_INODE, FK_SOCKET } from "../include/state.js";
import { fileOf, fileFree } from "./file.js";
import { iput } from "./inode.js";
import { locksRemoveFile } from "../locks/locks.js";
import { closeWithPins } from "../locks/layout.js";
import { releaseOwner } from "../mm/pin_set.js";
import { assert } from "../include/assert.js";
import { unixReleaseSock } from "../net/af_unix.js";

/** __fput: the owner's objects go (f_op->release), then the file's leases, its access, its inode. */
function __fput(s: KState, id: number) {
  const f = fileOf(s, id);
  assert(f.ref === 0, `__fput of file ${id} with ref ${f.ref}`);
  // sock_close -> unix_release: the peer is told, the files in flight in its queue go.
  if (f.kind === FK_SOCKET) unixReleaseSock(s, f);
  else if (f.kind !== FK_INODE) releaseOwner(s, f);
  else closeWithPins(s, f, null);
  locksRemoveFile(s, f);
  iput(s, fileFree(s, f));
}

/** task_work_run: the delayed __fputs, in order; releasing one may queue more. */
export function taskWork(s: KState) {
  for (let i = 0; i < s.delayedFput.length; i++) {
    assert(i < 100_000, "task work does not end");
    __fput(s, s.delayedFput[i]!);
  }
  s.delayedFput.length = 0;
}
