// Path lookup and permissions (fs/namei.c), over a flat namespace: each mount's root
// directory and the names directly in it.
import type { KState, Proc, Inode } from "../include/state.js";
import { CAP } from "../include/state.js";
import { S_IFMT, S_IFDIR } from "../include/uapi.js";
import { ENOENT, ENOTDIR } from "../include/errno.js";

export const MAY_EXEC = 1, MAY_WRITE = 2, MAY_READ = 4;

export interface Lookup { mnt: number; parent: number; name: string; ino: number }

/** Finds the mount and the dentry of a path; ino -1 when the name does not exist. Null: no such directory. */
export function lookup(s: KState, path: string): Lookup | null {
  for (let m = 0; m < s.mounts.length; m++) {
    const mt = s.mounts[m]!;
    if (path === mt.path) return { mnt: m, parent: mt.root, name: "", ino: mt.root };
    if (path.startsWith(mt.path + "/")) {
      const name = path.slice(mt.path.length + 1);
      if (name === "" || name.includes("/")) return null;
      return { mnt: m, parent: mt.root, name, ino: s.dents[path] ?? -1 };
    }
  }
  return null;
}

/**
 * The errno of a lookup that found no directory (link_path_walk): a path through an
 * existing name is ENOTDIR, as every name below a mount root is a regular file here.
 */
export function walkErrno(s: KState, path: string): number {
  for (const mt of s.mounts) {
    if (!path.startsWith(mt.path + "/")) continue;
    const first = path.slice(mt.path.length + 1).split("/")[0]!;
    if (first !== "" && s.dents[mt.path + "/" + first] !== undefined) return -ENOTDIR;
  }
  return -ENOENT;
}

/**
 * The directory each @fs root is mounted on (outside the model's namespace): root's, 0755,
 * as /mnt is, and as the oracle's base directory is.
 */
export const OUTER_DIR = { mode: S_IFDIR | 0o755, uid: 0, gid: 0 };

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
