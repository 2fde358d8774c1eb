// Where a script's path may lead: into an @fs (or onto a mount's root), as the contract
// says, judged on where the path goes rather than on how it is spelt. Shared by the parser
// (which refuses the others) and the oracle (which also refuses them when handed a
// scenario that did not come through the parser).
import type { MountDecl } from "./ast.js";

/** Device files the model defines, which a script may open outside every @fs (exactly as written). */
export const DEVICES = new Set(["/dev/infiniband/uverbs0"]);
/** Directories whose contents only the kernel has (the model knows the names, not what is in them). */
export const KERNEL_DIRS = ["/proc", "/dev"];

export interface Walk {
  /** Where the path leads: ".", repeated and trailing slashes dropped, ".." up one ("/.." is "/"). */
  end: string;
  /** A directory of KERNEL_DIRS (or below one) in which a name is looked up on the way, or null. */
  kernelDir: string | null;
}

/**
 * The path's walk with no symlinks (no call makes one): what link_path_walk would do if
 * every name on the way were a directory. Scenario mounts do not nest, so a mount root's
 * ".." is its path's parent, as follow_dotdot has it.
 */
export function lexicalWalk(path: string): Walk {
  const stack: string[] = [];
  let kernelDir: string | null = null;
  for (const c of path.split("/")) {
    if (c === "" || c === ".") continue;
    if (c === "..") { stack.pop(); continue; }
    const dir = "/" + stack.join("/");
    if (kernelDir === null && KERNEL_DIRS.some((k) => dir === k || dir.startsWith(k + "/"))) kernelDir = dir;
    stack.push(c);
  }
  return { end: "/" + stack.join("/"), kernelDir };
}

/** The mount holding `path` (or whose root it is), if any. */
export function mountOf(mounts: readonly MountDecl[], path: string): MountDecl | undefined {
  return mounts.find((m) => path === m.path || path.startsWith(m.path + "/"));
}

/** Why `path` may not appear in a call's path argument, or null. `call`: cat and open have exceptions. */
export function pathProblem(mounts: readonly MountDecl[], call: string, path: string): string | null {
  if (call === "cat" && (path.startsWith("/proc/") || /^\/sys\/devices\/system\/memory\/memory\d+\/pinned_by$/.test(path))) return null; // an admin view's name
  if (call === "open" && DEVICES.has(path)) return null;
  if (!path.startsWith("/")) return `${path} is outside every @fs`;
  const w = lexicalWalk(path);
  if (w.kernelDir !== null) {
    if (w.kernelDir.startsWith("/proc") && call !== "cat") return `${path} goes through /proc: /proc files are read with cat(...)`;
    return `${path} goes through ${w.kernelDir}, whose contents only the kernel has`;
  }
  if (mountOf(mounts, w.end) === undefined) return `${path} is outside every @fs${w.end !== path ? ` (it leads to ${w.end})` : ""}`;
  return null;
}
