// An interrupted run leaves nothing behind. While a run holds the machine, SIGINT, SIGTERM
// and SIGHUP, and the process's exit (process.exit after an EPIPE on stdout, an uncaught
// exception), first undo it synchronously: the keeper killed (its init, the agents and the
// tree's mounts go with it), the sysctls restored, the run directory removed, the lock
// released. A signal is then raised again, so the process ends as it would have. What a
// SIGKILL leaves, the next run (or `daxlease oracle --cleanup`) undoes.
type Undo = () => void;

const undos: Undo[] = [];
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

function undoAll(): void {
  // Newest first: the run before the lock it holds.
  while (undos.length > 0) {
    try { undos.pop()!(); } catch { /* the others still run */ }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  undoAll();
  uninstall();
  process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on("exit", undoAll);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.removeListener("exit", undoAll);
}

/** Registers `undo` (synchronous, idempotent) until the returned function is called. */
export function guard(undo: Undo): () => void {
  undos.push(undo);
  install();
  return () => {
    const i = undos.lastIndexOf(undo);
    if (i >= 0) undos.splice(i, 1);
    if (undos.length === 0) uninstall();
  };
}
