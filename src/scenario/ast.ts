// The parsed form of a `.scn` script (docs/scenario-format.md).
// Plain data only: the model, the oracle and the explorer all read it.

/** One argument of a call, as written. */
export type Arg =
  | { k: "num"; v: number; text: string; col: number }
  /** A string literal, decoded to bytes held as a latin1 string. */
  | { k: "str"; v: string; text: string; col: number }
  /** Symbols joined by `|`: `O_RDWR|O_CREAT`, `F_SETLEASE`, `NULL`, `SIGRTMIN+1`, a process name. Numbers may be mixed in. */
  | { k: "sym"; v: (string | number)[]; text: string; col: number }
  | { k: "var"; v: string; text: string; col: number }
  /** strace's array: `[3, 4]`, `["prog", "x"]`. */
  | { k: "arr"; v: Arg[]; text: string; col: number }
  /** strace's structure: `{iov_base="x", iov_len=1}`. */
  | { k: "struct"; v: Field[]; text: string; col: number }
  /** A named argument, as strace writes clone's: `flags=CLONE_FILES|SIGCHLD`. */
  | { k: "named"; key: string; v: Arg; text: string; col: number };

/** A field of a structure: `key=value`. */
export interface Field { key: string; v: Arg; col: number }

/** What the script expects of a call. */
export type Expect =
  | { k: "value"; text: string }
  | { k: "bind"; name: string }
  | { k: "blocks" };

export interface SigExpect {
  sig: string;
  /** Field names the expectation checks, in written order (`si_code`, `si_fd`). */
  fields: string[];
  text: string;
}

interface StepBase { line: number; col: number; text: string }

export type Step =
  | (StepBase & { k: "call"; proc: string; name: string; args: Arg[]; expect: Expect | null;
      /** `cat` only: the expected `> ` lines, [] for a lone `>`, null for none. */
      lines: string[] | null;
      /** `A?: call`: the explorer tries both making it and skipping it; `run` makes it. */
      optional?: boolean })
  | (StepBase & { k: "resumed"; proc: string; name: string; expect: Expect | null })
  | (StepBase & { k: "signals"; proc: string; expect: SigExpect[] | "none" })
  | (StepBase & { k: "status"; proc: string; expect: string })
  | (StepBase & { k: "sleep"; ms: number });

export type FsType = "ext4" | "xfs" | "tmpfs";
export type DaxMode = "always" | "never" | "inode";

export interface MountDecl { line: number; path: string; type: FsType; dax: DaxMode; size: number; blockSize: number }
export interface FileDecl { line: number; path: string; size: number; uid: number; gid: number; mode: number }
export interface ProcDecl { line: number; name: string; uid: number; gid: number; caps: string[]; sigDefault: boolean }

export type CallStep = Extract<Step, { k: "call" }>;

/** `@on A SIGIO: call; call`: what A does, in order, when the signal is pending between two of its steps. */
export interface HandlerDecl { line: number; proc: string; sig: number; optional: boolean; calls: CallStep[] }
/** `@any NIC: rdma_write(...) max=N`: a call that may happen at any point where its `$` names are bound. */
export interface AnyDecl { line: number; proc: string; call: CallStep; max: number }

export interface Scenario {
  file: string;
  name: string;
  leaseBreakTime: number | null;
  leasesEnable: number | null;
  mounts: MountDecl[];
  files: FileDecl[];
  procs: ProcDecl[];
  /** Processes created by fork: child name -> parent name. */
  forks: Record<string, string>;
  /** `@expect`: what the script says of the five properties (property -> holds?). */
  expects: { line: number; property: string; holds: boolean }[];
  /** `@policy NAME`: the policy the script's expectations are written for (default linux). */
  policy: string;
  steps: Step[];
  /** The exploration additions (EXPLORATION.md), which `run` and the oracle ignore. */
  handlers: HandlerDecl[];
  anys: AnyDecl[];
  /** `@bound states=N depth=N`: limits for exploring this script (the command line wins). */
  bound: { states: number | null; depth: number | null };
}
