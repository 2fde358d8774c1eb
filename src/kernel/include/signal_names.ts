// Signal numbers of x86-64 Linux (arch/x86/include/uapi/asm/signal.h); SIGRTMIN is
// glibc's 34, as the scenario contract says.
export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
  SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
  SIGTERM = 15, SIGSTKFLT = 16, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20,
  SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24, SIGXFSZ = 25, SIGVTALRM = 26,
  SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31;
export const SIGRTMIN = 34, SIGRTMAX = 64, NSIG = 64;

const NAMES = [
  "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
  "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD",
  "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ",
  "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
];
const ALIASES: Record<string, number> = { SIGPOLL: SIGIO, SIGIOT: SIGABRT, SIGCLD: SIGCHLD };

export function signalName(sig: number): string {
  if (sig >= 1 && sig < 32) return NAMES[sig]!;
  if (sig === SIGRTMIN) return "SIGRTMIN";
  if (sig > SIGRTMIN && sig <= SIGRTMAX) return `SIGRTMIN+${sig - SIGRTMIN}`;
  throw new Error(`no signal ${sig}`);
}

/** Signal number for a name (SIGIO, SIGRTMIN+1, SIGRTMAX-2) or a decimal number; null if neither. */
export function signalByName(name: string): number | null {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    return n >= 0 && n <= NSIG ? n : null;
  }
  const i = NAMES.indexOf(name);
  if (i > 0) return i;
  const a = ALIASES[name];
  if (a !== undefined) return a;
  const m = /^SIGRT(MIN|MAX)(?:([+-])(\d+))?$/.exec(name);
  if (m) {
    const base = m[1] === "MIN" ? SIGRTMIN : SIGRTMAX;
    const off = m[3] === undefined ? 0 : Number(m[3]) * (m[2] === "-" ? -1 : 1);
    const s = base + off;
    return s >= SIGRTMIN && s <= SIGRTMAX ? s : null;
  }
  return null;
}

/** Signals whose default action is to ignore them (kernel/signal.c SIG_KERNEL_IGNORE_MASK). */
export function defaultIgnored(sig: number): boolean {
  return sig === SIGCHLD || sig === SIGCONT || sig === SIGURG || sig === SIGWINCH;
}

/** Stop signals: the model does not have stopped processes. */
export function isStopSignal(sig: number): boolean {
  return sig === SIGSTOP || sig === SIGTSTP || sig === SIGTTIN || sig === SIGTTOU;
}

/** Signals with si_codes of their own: a POLL_MSG siginfo reaches user space as SI_SIGIO
 *  (kernel/signal.c known_siginfo_layout / siginfo_layout). */
export function hasOwnSiCodes(sig: number): boolean {
  return sig === SIGILL || sig === SIGFPE || sig === SIGSEGV || sig === SIGBUS || sig === SIGTRAP ||
    sig === SIGCHLD || sig === SIGSYS;
}

export const SI_USER = 0, SI_KERNEL = 0x80, SI_SIGIO = -5, POLL_MSG = 3;
export const SI_CODE_NAMES: Record<number, string> = {
  [SI_USER]: "SI_USER", [SI_KERNEL]: "SI_KERNEL", [SI_SIGIO]: "SI_SIGIO", [POLL_MSG]: "POLL_MSG",
};
