// Signals between processes and from fasync (kernel/signal.c, fs/fcntl.c send_sigio).
// Delivery is immediate for a process in user space; its effects on a sleeping or dying
// process are acted on by settle(), as the kernel does after it drops its locks.
import type { KState, Proc, OpenFile, SigInfo } from "../include/state.js";
import { PState, CAP } from "../include/state.js";
import { SIGKILL, SIGIO, SIGRTMIN, defaultIgnored, hasOwnSiCodes, SI_KERNEL, SI_SIGIO, SI_USER, POLL_MSG } from "../include/signal_names.js";
import { EPERM, ESRCH, EINVAL } from "../include/errno.js";

export function procByPid(s: KState, pid: number): Proc | null {
  for (const p of s.procs) if (p.pid === pid) return p;
  return null;
}

export function alive(p: Proc): boolean {
  return p.state === PState.Running || p.state === PState.Blocked;
}

/** send_signal: a handled signal is recorded and interrupts a sleep; an unhandled fatal one kills. */
export function sendSignal(s: KState, p: Proc, info: SigInfo) {
  if (!alive(p) || p.fatal !== 0) return;
  const sig = info.signo;
  if (sig === SIGKILL || (p.sigDefault && !defaultIgnored(sig))) {
    p.fatal = sig;
    if (p.wait !== null) p.wait.woken = true;
    return;
  }
  // Handlers are installed for every signal whose default is not "ignore"; those keep their default.
  if (defaultIgnored(sig)) return;
  // A standard signal is pending at most once (legacy_queue); real-time signals queue.
  if (sig >= SIGRTMIN || !p.sigq.some((x) => x.signo === sig)) p.sigq.push(info);
  p.sigpend++;
  if (p.wait !== null) p.wait.woken = true;
}

/** kill(2): check_kill_permission, then the signal with SI_USER. */
export function sysKill(s: KState, from: Proc, pid: number, sig: number): number {
  if (sig < 0 || sig > 64) return -EINVAL;
  const p = procByPid(s, pid);
  if (p === null) return -ESRCH;
  // kill_ok_by_cred: same uid (no setuid programs here, so uid = euid = suid), or CAP_KILL.
  if (from.uid !== p.uid && !(from.caps & CAP.KILL)) return -EPERM;
  if (sig === 0) return 0;
  sendSignal(s, p, { signo: sig, code: SI_USER, fd: 0, band: 0 });
  return 0;
}

/** send_sigio_to_task: the F_SETSIG signal with si_fd, or plain SIGIO (SEND_SIG_PRIV). */
export function sendSigio(s: KState, f: OpenFile, fd: number) {
  if (f.owner === 0) return;
  const p = procByPid(s, f.owner);
  if (p === null) return;
  // sigio_perm: the credentials captured by f_setown must match the target's.
  if (f.ownerUid !== 0 && f.ownerUid !== p.uid) return;
  if (f.signum === 0) {
    sendSignal(s, p, { signo: SIGIO, code: SI_KERNEL, fd: 0, band: 0 });
    return;
  }
  // band_table[POLL_MSG - POLL_IN] = EPOLLIN | EPOLLRDNORM | EPOLLMSG, mangled: 0x441.
  const code = hasOwnSiCodes(f.signum) ? SI_SIGIO : POLL_MSG;
  sendSignal(s, p, { signo: f.signum, code, fd, band: 0x441 });
}
