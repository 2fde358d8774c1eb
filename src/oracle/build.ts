// Builds oracle/agent.c with the machine's `cc`, lazily: only when the binary is
// missing or older than its source. No other native dependency. Static (libc6-dev's
// libc.a): a scenario's execve runs it again inside the run's tree, which has no ld.so.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";

/** The directory holding oracle/agent.c: the repository (or installed package) root. */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(d, "oracle", "agent.c"))) return d;
    const up = dirname(d);
    if (up === d) throw new Error("oracle/agent.c not found above " + fileURLToPath(import.meta.url));
    d = up;
  }
}

export function agentSource(): string {
  return join(packageRoot(), "oracle", "agent.c");
}

/** Path of the compiled agent, building it first when needed. */
export function ensureAgent(): string {
  const src = agentSource();
  const srcTime = statSync(src).mtimeMs;
  for (const dir of [join(packageRoot(), "oracle", "build"), join(tmpdir(), "daxlease-agent-build")]) {
    const bin = join(dir, "agent");
    try {
      if (existsSync(bin) && statSync(bin).mtimeMs >= srcTime) return bin;
      mkdirSync(dir, { recursive: true });
      // Build beside it and rename: two builders at once never see half a binary.
      const tmp = `${bin}.${process.pid}.tmp`;
      execFileSync("cc", ["-O2", "-static", "-Wall", "-Wextra", "-o", tmp, src], { stdio: ["ignore", "ignore", "pipe"], timeout: 60_000 });
      renameSync(tmp, bin);
      return bin;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
      if (err.stderr !== undefined && err.stderr.length > 0) throw new Error("cc oracle/agent.c failed:\n" + err.stderr.toString());
      if (err.code === "EACCES" || err.code === "EROFS" || err.code === "EPERM") continue; // read-only install: use tmpdir
      throw e;
    }
  }
  throw new Error("no writable place to build the oracle agent");
}
