// Which paths of a log the script is about, and the @fs and @file lines for them: the
// mounts the user named (--fs), or, without any, every directory the program's own
// files live in, typed from this machine's mount table when the caller passes it.
import type { DaxMode, FsType } from "../scenario/ast.js";
import { dirname } from "./tables.js";

export interface FsSpec { path: string; type: FsType; dax: DaxMode; size?: number }
/** A line of /proc/self/mounts, for guessing the type of an inferred mount. */
export interface HostMount { path: string; type: string; options: string }

/** Paths that belong to the system, not to the program: never in a script. */
const SYSTEM = /^\/(etc|lib|lib32|lib64|libx32|usr|bin|sbin|boot|proc|sys|dev|run|nix|snap|opt|var\/lib|var\/cache|var\/run)(\/|$)/;
export const DEVICES = new Set(["/dev/infiniband/uverbs0"]);

export interface MountPlan {
  /** Mount point -> its line. */
  mounts: Map<string, { type: FsType; dax: DaxMode; size: number | null; why: string }>;
  /** Paths the script cannot hold, and why. */
  refused: Map<string, string>;
}

function fsOf(path: string, fs: FsSpec[]): FsSpec | null {
  let best: FsSpec | null = null;
  for (const f of fs)
    if ((path === f.path || path.startsWith(f.path + "/")) && (best === null || f.path.length > best.path.length)) best = f;
  return best;
}

function hostOf(path: string, host: HostMount[]): HostMount | null {
  let best: HostMount | null = null;
  for (const h of host)
    if ((path === h.path || path.startsWith(h.path === "/" ? "/" : h.path + "/")) && (best === null || h.path.length > best.path.length)) best = h;
  return best;
}

/** Is a path one the script is about? */
export function interesting(path: string, fs: FsSpec[]): boolean {
  if (DEVICES.has(path)) return true;
  if (fs.length > 0) return fsOf(path, fs) !== null;
  if (SYSTEM.test(path) || path.split("/").some((p) => p.startsWith(".") && p !== "." && p !== "..")) return false;
  return path !== "/";
}

/**
 * The mounts for a set of paths. A script's files live in their mount's root directory
 * (the model has no mkdir), so each directory holding a file becomes a mount; a directory
 * below another one is refused (its paths' calls become comments).
 */
export function planMounts(paths: Iterable<string>, fs: FsSpec[], host: HostMount[]): MountPlan {
  const plan: MountPlan = { mounts: new Map(), refused: new Map() };
  const dirs = new Map<string, string[]>();
  for (const p of paths) {
    if (DEVICES.has(p)) continue;
    const spec = fsOf(p, fs);
    const d = spec !== null && spec.path === p ? p : dirname(p);
    if (d === "/" || /^\/(proc|dev)(\/|$)/.test(d)) { plan.refused.set(p, "a file in / or under /proc or /dev cannot be a script's file"); continue; }
    dirs.set(d, [...(dirs.get(d) ?? []), p]);
  }
  const sorted = [...dirs.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const kept: string[] = [];
  for (const d of sorted) {
    const above = kept.find((k) => d.startsWith(k + "/"));
    if (above !== undefined) {
      for (const p of dirs.get(d)!) plan.refused.set(p, `it is in a subdirectory of ${above} (a script's files live in their mount's root)`);
      continue;
    }
    kept.push(d);
    const spec = fsOf(d, fs);
    if (spec !== null) {
      plan.mounts.set(d, { type: spec.type, dax: spec.dax, size: spec.size ?? null, why: spec.path === d ? "--fs" : `--fs ${spec.path}` });
      continue;
    }
    const h = hostOf(d, host);
    const known = h !== null && (h.type === "ext4" || h.type === "xfs" || h.type === "tmpfs");
    const daxOpt = h === null ? null : /(?:^|,)dax(?:=(always|never|inode))?(?:,|$)/.exec(h.options);
    const dax: DaxMode = h !== null && known && h.type !== "tmpfs" && daxOpt !== null ? ((daxOpt[1] as DaxMode | undefined) ?? "always") : "never";
    const why = h === null
      ? "inferred, type unknown: say --fs PATH=TYPE"
      : known ? `inferred: ${h.type}${dax !== "never" ? ` dax=${dax}` : ""} on ${h.path} here` : `inferred: ${h.type} on ${h.path} here, which the model does not have (ext4, xfs, tmpfs); say --fs PATH=TYPE`;
    plan.mounts.set(d, { type: known ? (h!.type as FsType) : "ext4", dax, size: null, why });
  }
  return plan;
}

/** A size as the script writes it (64M, 8K, or bytes). */
export function sizeText(n: number): string {
  if (n % (1 << 20) === 0) return `${n / (1 << 20)}M`;
  if (n % 1024 === 0) return `${n / 1024}K`;
  return String(n);
}

/** --fs PATH=TYPE[,dax=MODE][,size=N]: the spec, or what is wrong with it. */
export function parseFsSpec(s: string): FsSpec | string {
  const eq = s.indexOf("=");
  if (eq <= 0) return `--fs takes PATH=TYPE[,dax=MODE][,size=N], not ${s}`;
  const path = s.slice(0, eq).replace(/\/+$/, "");
  const [type, ...opts] = s.slice(eq + 1).split(",");
  if (!path.startsWith("/") || path === "") return `--fs ${s}: the path must be absolute`;
  if (type !== "ext4" && type !== "xfs" && type !== "tmpfs") return `--fs ${s}: the type is ext4, xfs or tmpfs`;
  const spec: FsSpec = { path, type, dax: "never" };
  for (const o of opts) {
    const [k, v] = o.split("=");
    if (k === "dax" && (v === "always" || v === "never" || v === "inode")) spec.dax = v;
    else if (k === "size" && v !== undefined && /^\d+[KMG]?$/.test(v)) {
      const mult = v.endsWith("K") ? 1024 : v.endsWith("M") ? 1 << 20 : v.endsWith("G") ? 1 << 30 : 1;
      spec.size = parseInt(v, 10) * mult;
    } else return `--fs ${s}: unknown option ${o} (dax=always|never|inode, size=N[K|M|G])`;
  }
  if (spec.type === "tmpfs" && spec.dax !== "never") return `--fs ${s}: tmpfs has no DAX`;
  return spec;
}
