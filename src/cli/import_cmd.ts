// `daxlease import` and `daxlease replay`: an strace log of a real program becomes a
// scenario, and runs under every policy. The reading is src/import (pure); this file
// reads the files, this machine's mount table, and prints.
import type { Command } from "commander";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pc } from "./colors.js";
import { UsageError } from "./files.js";
import { importStrace, type FsSpec, type HostMount, type LogSource } from "../import/import.js";
import { parseFsSpec } from "../import/mounts.js";
import { replay, replayPolicies, formatReplay, originsOf } from "../import/replay.js";
import { parseScenario } from "../scenario/parse.js";
import { parsePolicy } from "../policy/registry.js";

/** LOG, or LOG.PID files of `strace -ff -o LOG`, or several LOG.PID named one by one. */
export function logSources(args: string[]): LogSource[] {
  const out: LogSource[] = [];
  const read = (p: string): string => {
    try { return readFileSync(p, "utf8"); } catch { throw new UsageError(`${p}: cannot read`); }
  };
  for (const a of args) {
    if (existsSync(a)) {
      const pid = args.length > 1 ? /\.(\d+)$/.exec(a)?.[1] : undefined;
      if (args.length > 1 && pid === undefined) throw new UsageError(`${a}: several logs must be the per-process files of strace -ff (LOG.PID)`);
      out.push({ name: a, text: read(a), pid: pid === undefined ? undefined : Number(pid) });
      continue;
    }
    const dir = dirname(a), base = basename(a);
    let names: string[] = [];
    try { names = readdirSync(dir).filter((n) => n.startsWith(base + ".") && /^\d+$/.test(n.slice(base.length + 1))); } catch { /* none */ }
    if (names.length === 0) throw new UsageError(`${a}: no such file (nor ${a}.PID files of strace -ff)`);
    for (const n of names.sort((x, y) => Number(x.slice(base.length + 1)) - Number(y.slice(base.length + 1)))) {
      const p = dir === "." && !a.startsWith("./") ? n : join(dir, n);
      out.push({ name: p, text: read(p), pid: Number(n.slice(base.length + 1)) });
    }
  }
  return out;
}

/** This machine's mounts, for the type of a mount the importer infers. */
function hostMounts(): HostMount[] {
  try {
    return readFileSync("/proc/self/mounts", "utf8").split("\n").filter((l) => l !== "").map((l) => {
      const [, path, type, options] = l.split(" ");
      return { path: (path ?? "").replace(/\\040/g, " "), type: type ?? "", options: options ?? "" };
    });
  } catch {
    return [];
  }
}

interface ImportOpts { out?: string; fs: string[]; rename: string[]; name?: string; leaseBreakTime?: string }

function fsSpecs(list: string[]): FsSpec[] {
  return list.map((s) => {
    const f = parseFsSpec(s);
    if (typeof f === "string") throw new UsageError(f);
    return f;
  });
}

function importLogs(logs: string[], o: ImportOpts) {
  let lbt: number | undefined;
  if (o.leaseBreakTime !== undefined) {
    lbt = Number(o.leaseBreakTime);
    if (!Number.isInteger(lbt)) throw new UsageError(`--lease-break-time must be an integer, not ${o.leaseBreakTime}`);
  }
  const fs = fsSpecs(o.fs);
  const rename = o.rename.map((r): [string, string] => {
    const m = /^(\/[^=]*)=(\/[^=]*)$/.exec(r);
    if (m === null) throw new UsageError(`--rename takes LOGPATH=PATH (both absolute), not ${r}`);
    return [m[1]!.replace(/\/+$/, ""), m[2]!.replace(/\/+$/, "")];
  });
  return importStrace(logSources(logs), { fs, rename, hostMounts: fs.length === 0 ? hostMounts() : [], name: o.name, leaseBreakTime: lbt });
}

function cmdImport(logs: string[], o: ImportOpts): number {
  const r = importLogs(logs, o);
  if (o.out !== undefined) {
    try { writeFileSync(o.out, r.text); } catch { throw new UsageError(`${o.out}: cannot write`); }
  } else process.stdout.write(r.text);
  process.stderr.write(r.summary.join("\n") + "\n" + (o.out !== undefined ? `wrote ${o.out}\n` : ""));
  return 0;
}

function cmdReplay(input: string, o: ImportOpts & { policy: string; json?: boolean }): number {
  const spec = o.policy;
  if (spec !== "all" && typeof parsePolicy(spec) === "string") throw new UsageError(parsePolicy(spec) as string);
  let text: string, file: string;
  if (input.endsWith(".scn")) {
    try { text = readFileSync(input, "utf8"); } catch { throw new UsageError(`${input}: cannot read`); }
    file = input;
  } else {
    text = importLogs([input], o).text;
    file = `${input} (imported)`;
  }
  const sc = parseScenario(text, file);
  const origin = originsOf(text);
  const results = replay(sc, origin, replayPolicies(spec));
  if (o.json) process.stdout.write(JSON.stringify(results, null, 2) + "\n");
  else {
    const t = formatReplay(sc, results, origin);
    process.stdout.write(t.split("\n").map((l) => (/^ {2}(your program|.* fails at)/.test(l) ? pc.red(l) : l)).join("\n") + "\n");
  }
  return 0;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function registerImportCommands(program: Command, done: (code: number) => void) {
  program.command("import").description("turn an strace -f log of a real program into a scenario")
    .argument("<logs...>", "the log (strace -f -o LOG), or LOG for the LOG.PID files of strace -ff")
    .option("--out <file>", "write the scenario there (default: standard output)")
    .option("--fs <spec>", "a mount the program's files live on: PATH=TYPE[,dax=MODE][,size=N] (repeatable)", collect, [])
    .option("--rename <from=to>", "write the log's paths under FROM as under TO (repeatable; --fs names TO)", collect, [])
    .option("--name <name>", "the scenario's name (default: the log's file name)")
    .option("--lease-break-time <s>", "@sysctl fs.lease-break-time of the traced machine")
    .action((logs: string[], o: ImportOpts) => { done(cmdImport(logs, o)); });
  program.command("replay").description("run a program's log (or its imported scenario) under every policy; say what differs")
    .argument("<input>", "an strace log, or a scenario written by daxlease import")
    .option("--policy <name>", "one policy, or all", "all")
    .option("--fs <spec>", "as for import, when the input is a log (repeatable)", collect, [])
    .option("--rename <from=to>", "as for import (repeatable)", collect, [])
    .option("--lease-break-time <s>", "as for import")
    .option("--json", "print the differences as JSON")
    .action((input: string, o: ImportOpts & { policy: string; json?: boolean }) => { done(cmdReplay(input, o)); });
}
