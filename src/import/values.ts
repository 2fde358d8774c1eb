// strace's spelling of values -> the script's: signals (strace counts real-time signals
// from the kernel's 32, glibc and the scripts from 34), flags printed as numbers
// (`-X raw`), errnos.
import { signalByName, signalName } from "../kernel/include/signal_names.js";
import * as U from "../kernel/include/uapi.js";
import { canonicalErrno } from "../kernel/include/errno.js";
import { num, symbolic } from "./args.js";

/** A signal as strace names it (`SIGIO`, `SIGRT_3`, `SIGRTMIN`, `29`): its number and the script's name (null for 32 and 33). */
export function signalOf(s: string): { num: number; name: string | null } | null {
  const t = s.trim();
  let n: number | null = null;
  const rt = /^SIGRT_(\d+)$/.exec(t);
  if (rt) n = 32 + Number(rt[1]);
  else if (t === "SIGRTMIN") n = 32; // strace's SIGRTMIN is the kernel's, 32
  else if (t === "SIGRTMAX") n = 64;
  else if (/^\d+$/.test(t)) n = Number(t);
  else n = signalByName(t);
  if (n === null || n < 1 || n > 64) return null;
  return { num: n, name: n === 32 || n === 33 ? null : signalName(n) };
}

/** The flags of a word from a table (`O_RDWR|O_CREAT`), named when every bit has a name. */
function named(v: number, table: ReadonlyArray<readonly [string, number]>, zero: string): string {
  if (v === 0) return zero;
  const out: string[] = [];
  let rest = v;
  for (const [n, b] of table) if (b !== 0 && (rest & b) === b) { out.push(n); rest &= ~b; }
  return rest === 0 ? out.join("|") : "0x" + v.toString(16);
}

export function openFlags(text: string): string {
  const s = symbolic(text);
  let v = num(s);
  // strace names an access mode of 3 O_ACCMODE, which a script has no name for: the flags' value, then.
  if (v === null && /(^|\|)O_ACCMODE(\||$)/.test(s)) {
    v = 0;
    for (const w of s.split("|")) v |= w === "O_ACCMODE" ? U.O_ACCMODE : num(w) ?? (Object.fromEntries(U.OPEN_FLAGS)[w] ?? NaN);
    if (Number.isNaN(v)) return s;
  }
  if (v === null) return s;
  const acc = v & U.O_ACCMODE;
  const accName = acc === U.O_RDONLY ? "O_RDONLY" : acc === U.O_WRONLY ? "O_WRONLY" : acc === U.O_RDWR ? "O_RDWR" : null;
  // O_ACCMODE (3) has no name in a script: the flags as a number (the kernel refuses them with EINVAL, or not).
  if (accName === null) return `0x${v.toString(16)}`;
  const rest = named(v & ~U.O_ACCMODE, U.OPEN_FLAGS, "");
  return rest === "" ? accName : rest.startsWith("0x") ? s : `${accName}|${rest}`;
}

export function tableFlags(text: string, table: Record<string, number>, zero: string): string {
  const s = symbolic(text);
  const v = num(s);
  return v === null ? s : named(v, Object.entries(table), zero);
}

const FCNTL_BY_NUM = new Map(Object.entries(U.FCNTL_CMDS).map(([k, v]) => [v, k]));

/** An fcntl command as a name (`-X raw` prints 0x400); null when the model has no such command. */
export function fcntlCmd(text: string): string | null {
  const s = symbolic(text);
  const v = num(s);
  if (v !== null) return FCNTL_BY_NUM.get(v) ?? null;
  return U.FCNTL_CMDS[s] !== undefined ? s : null;
}

/** A lease type (F_SETLEASE, F_SETLAYOUT): `F_WRLCK`, `0x1`, `0x10 /* F_??? * /` (RFC's F_LAYOUT). */
export function leaseArg(text: string): string {
  const s = symbolic(text);
  const v = num(s);
  if (v === null) return s;
  if (v === U.F_RDLCK) return "F_RDLCK";
  if (v === U.F_WRLCK) return "F_WRLCK";
  if (v === U.F_UNLCK) return "F_UNLCK";
  const base = v & ~(U.F_LAYOUT | U.F_EXCLUSIVE);
  if ((v & U.F_LAYOUT) && base === 0) return v & U.F_EXCLUSIVE ? "F_LAYOUT|F_EXCLUSIVE" : "F_LAYOUT";
  return String(v);
}

/** A signal argument as the script writes it; null if the script cannot. */
export function signalArg(text: string): string | null {
  const s = symbolic(text);
  if (s === "0") return "0";
  const sig = signalOf(s);
  return sig?.name ?? null;
}

/** `-1 EAGAIN` as the script writes it; null when the model does not know the errno. */
export function errnoResult(name: string): string | null {
  const c = canonicalErrno(name);
  return c === null ? null : `-1 ${c}`;
}
