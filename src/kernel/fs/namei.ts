// Path lookup and permissions (fs/namei.c). The namespace is the run's tree as the oracle
// builds it: a root directory holding the directories above each @fs mount, /proc and
// /dev; each mount's root; the files directly in a root (no call makes subdirectories).
// A scenario's paths stay in this tree: `..` at "/" is "/" (the process root).
import type { KState, Proc, Inode } from "../include/state.js";
import { CAP } from "../include/state.js";
import { S_IFMT, S_IFDIR } from "../include/uapi.js";
import { EACCES, ENAMETOOLONG, ENOENT, ENOTDIR } from "../include/errno.js";
import { inodeOf } from "./file.js";

export const MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4;
/** include/uapi/linux/limits.h: a name's bytes; a path's bytes with its NUL. */
export const NAME_MAX = 255, PATH_MAX = 4096;
/** nd->last_type (include/linux/namei.h). */
export const LAST_NORM = 0, LAST_ROOT = 1, LAST_DOT = 2, LAST_DOTDOT = 3;

/** A directory: one of the tree's own (mnt -1, on the tree's tmpfs), or the root of mount `mnt`. */
export interface Dir { mnt: number; path: string }

/** What filename_parentat hands back: the directory holding the last component, and that component. */
export interface Nameidata {
  dir: Dir;
  last: string;
  type: number;
  /** A slash follows the last component (last.name[last.len] in the kernel). */
  slash: boolean;
}

/** A name in its directory, as lookup_one_qstr_excl finds it: mounts are not followed. */
export type Dentry =
  | { k: "neg"; dir: Dir; name: string }
  | { k: "file"; dir: Dir; name: string; ino: number }
  /** `target`: the directory it leads to; `mountpoint`: a mount covers it (is_local_mountpoint). */
  | { k: "dir"; dir: Dir; name: string; target: Dir; mountpoint: boolean };

export const ROOT: Dir = { mnt: -1, path: "/" };

/**
 * The directories of the tree outside every mount (root's, 0755, as /mnt is, and as
 * the oracle's tmpfs root and its directories are); /proc is procfs's root (0555).
 */
export const OUTER_DIR = { mode: S_IFDIR | 0o755, uid: 0, gid: 0 };
const PROC_DIR = { mode: S_IFDIR | 0o555, uid: 0, gid: 0 };
/** Directories whose contents only the kernel has: paths through them are refused before they get here. */
export const KERNEL_DIRS = ["/proc", "/dev"];

function join(dir: string, name: string): string {
  return dir === "/" ? "/" + name : dir + "/" + name;
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Whether `path` is a directory of the tree above the mounts (or /proc, /dev). */
function isTreeDir(s: KState, path: string): boolean {
  if (path === "/" || KERNEL_DIRS.includes(path)) return true;
  return s.mounts.some((m) => m.path.startsWith(path + "/"));
}

/** Mode and owner of a directory, for permission(). */
export function dirAttrs(s: KState, d: Dir): Pick<Inode, "mode" | "uid" | "gid"> {
  if (d.mnt >= 0) return inodeOf(s, s.mounts[d.mnt]!.root);
  return d.path === "/proc" ? PROC_DIR : OUTER_DIR;
}

/** The directory a mount root is: its path and index. */
export function mountDir(s: KState, mnt: number): Dir {
  return { mnt, path: s.mounts[mnt]!.path };
}

/**
 * ->lookup of one name in a directory: the filesystems here (simple_lookup, ext4_lookup,
 * xfs_vn_lookup) refuse a name longer than NAME_MAX; procfs and /dev's contents are not
 * modelled (negative).
 */
export function lookupOne(s: KState, dir: Dir, name: string): Dentry | number {
  if (name.length > NAME_MAX) return -ENAMETOOLONG;
  if (dir.mnt >= 0) {
    const ino = s.dents[join(dir.path, name)];
    return ino === undefined ? { k: "neg", dir, name } : { k: "file", dir, name, ino };
  }
  const path = join(dir.path, name);
  const m = s.mounts.findIndex((mt) => mt.path === path);
  if (m >= 0) return { k: "dir", dir, name, target: mountDir(s, m), mountpoint: true };
  if (!KERNEL_DIRS.some((k) => dir.path === k || dir.path.startsWith(k + "/")) && isTreeDir(s, path))
    return { k: "dir", dir, name, target: { mnt: -1, path }, mountpoint: false };
  return { k: "neg", dir, name };
}

/** follow_dotdot: up one directory; from a mount's root to its mountpoint's parent; "/" stays. */
export function followDotdot(s: KState, d: Dir): Dir {
  if (d.mnt < 0) return d.path === "/" ? d : { mnt: -1, path: dirname(d.path) };
  return { mnt: -1, path: dirname(s.mounts[d.mnt]!.path) };
}

/**
 * filename_parentat: getname (ENOENT for "", ENAMETOOLONG from PATH_MAX bytes on), path_init
 * (absolute paths from "/", others from `start`), then link_path_walk over every component
 * but the last: search permission on each directory first (may_lookup), `.` and `..` by
 * handle_dots, a missing name ENOENT, a name that is not a directory ENOTDIR.
 */
export function pathParent(s: KState, p: Proc, path: string, start: Dir = ROOT): Nameidata | number {
  if (path.length >= PATH_MAX) return -ENAMETOOLONG;
  if (path === "") return -ENOENT;
  let cur = path.startsWith("/") ? ROOT : start;
  const parts = path.split("/");
  const comps: number[] = [];
  parts.forEach((c, i) => { if (c !== "") comps.push(i); });
  if (comps.length === 0) return { dir: cur, last: "", type: LAST_ROOT, slash: false };
  for (let k = 0; k < comps.length; k++) {
    const i = comps[k]!;
    const name = parts[i]!;
    if (!permission(p, dirAttrs(s, cur), MAY_EXEC)) return -EACCES;
    const type = name === "." ? LAST_DOT : name === ".." ? LAST_DOTDOT : LAST_NORM;
    if (k === comps.length - 1) return { dir: cur, last: name, type, slash: i < parts.length - 1 };
    if (type === LAST_DOT) continue;
    if (type === LAST_DOTDOT) { cur = followDotdot(s, cur); continue; }
    const d = lookupOne(s, cur, name);
    if (typeof d === "number") return d;
    if (d.k === "neg") return -ENOENT;
    if (d.k === "file") return -ENOTDIR;
    cur = d.target;
  }
  throw new Error("unreachable");
}

/** What the last component leads to when it is walked (walk_component, handle_dots): mounts followed. */
export function walkLast(s: KState, nd: Nameidata): Dentry | number {
  if (nd.type === LAST_NORM) return lookupOne(s, nd.dir, nd.last);
  const target = nd.type === LAST_DOTDOT ? followDotdot(s, nd.dir) : nd.dir;
  return { k: "dir", dir: nd.dir, name: nd.last, target, mountpoint: false };
}

/**
 * path_lookupat (truncate and other lookups of an existing object): the last component
 * walked; a negative one is ENOENT; a trailing slash asks for a directory (lookup_last:
 * LOOKUP_DIRECTORY), so a regular file there is ENOTDIR.
 */
export function pathLookup(s: KState, p: Proc, path: string, start: Dir = ROOT): Dentry | number {
  const nd = pathParent(s, p, path, start);
  if (typeof nd === "number") return nd;
  const d = walkLast(s, nd);
  if (typeof d === "number") return d;
  if (d.k === "neg") return -ENOENT;
  if (d.k === "file" && nd.type === LAST_NORM && nd.slash) return -ENOTDIR;
  return d;
}

/** The dents key of a file named `name` in a mount's root. */
export function dentKey(d: Dir, name: string): string {
  return join(d.path, name);
}

/** generic_permission with capable() overrides (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH). */
export function permission(p: Proc, inode: Pick<Inode, "mode" | "uid" | "gid">, mask: number): boolean {
  let bits = inode.mode & 0o7;
  if (p.uid === inode.uid) bits = (inode.mode >> 6) & 0o7;
  else if (p.gid === inode.gid) bits = (inode.mode >> 3) & 0o7;
  const want = mask & 0o7;
  if ((bits & want) === want) return true;
  const isDir = (inode.mode & S_IFMT) === S_IFDIR;
  // capable_wrt_inode_uidgid: DAC_OVERRIDE grants read/write, and exec where some x bit is set or on directories.
  if (p.caps & CAP.DAC_OVERRIDE) {
    if (!(want & MAY_EXEC) || isDir || (inode.mode & 0o111)) return true;
  }
  if (p.caps & CAP.DAC_READ_SEARCH) {
    if (want === MAY_READ || (isDir && !(want & MAY_WRITE))) return true;
  }
  return false;
}
