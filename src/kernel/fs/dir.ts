// unlink(2) and rename(2) (fs/namei.c): names go, inodes live on while open.
import type { KState, Proc } from "../include/state.js";
import { EACCES, EBUSY, EINVAL, EISDIR, ENOENT, ENOTDIR, ENOTEMPTY, EXDEV } from "../include/errno.js";
import { pathParent, lookupOne, permission, dirAttrs, dentKey, OUTER_DIR, LAST_NORM, MAY_EXEC, MAY_WRITE, type Dentry } from "./namei.js";
import { ModelBug } from "../include/assert.js";
import { inodeOf } from "./file.js";
import { evict } from "./inode.js";

function dropLink(s: KState, ino: number) {
  const inode = inodeOf(s, ino);
  inode.nlink--;
  if (inode.nlink === 0 && inode.refs === 0) evict(s, inode);
}

/** do_unlinkat and vfs_unlink -> may_delete. */
export function sysUnlink(s: KState, p: Proc, path: string): number {
  const nd = pathParent(s, p, path);
  if (typeof nd === "number") return nd;
  if (nd.type !== LAST_NORM) return -EISDIR;
  const d = lookupOne(s, nd.dir, nd.last);
  if (typeof d === "number") return d;
  // "Why not before? Because we want correct error value": a trailing slash or a missing name.
  if (nd.slash || d.k === "neg") return d.k === "neg" ? -ENOENT : d.k === "dir" ? -EISDIR : -ENOTDIR;
  // may_delete: the directory first (a mount root's is the one it is mounted on), then the victim.
  if (!permission(p, dirAttrs(s, nd.dir), MAY_WRITE | MAY_EXEC)) return -EACCES;
  if (d.k === "dir") return -EISDIR;
  const key = dentKey(nd.dir, nd.last);
  delete s.dents[key];
  // The inode keeps its last path for /proc/locks.
  dropLink(s, d.ino);
  return 0;
}

/**
 * do_renameat2 and vfs_rename. Both parents are walked first, then compared (a mount
 * root's parent lies in the tree above it, not in its own filesystem), then the old name
 * looked up.
 */
export function sysRename(s: KState, p: Proc, from: string, to: string): number {
  const a = pathParent(s, p, from);
  if (typeof a === "number") return a;
  const b = pathParent(s, p, to);
  if (typeof b === "number") return b;
  if (a.dir.mnt !== b.dir.mnt) return -EXDEV;
  if (a.type !== LAST_NORM || b.type !== LAST_NORM) return -EBUSY;
  const old = lookupOne(s, a.dir, a.last);
  if (typeof old === "number") return old;
  if (old.k === "neg") return -ENOENT;
  const nw = lookupOne(s, b.dir, b.last);
  if (typeof nw === "number") return nw;
  // Unless the source is a directory, trailing slashes give ENOTDIR.
  if (old.k === "file" && (a.slash || b.slash)) return -ENOTDIR;
  if (old.k === "dir") return renameTreeDir(s, p, old, nw);
  // vfs_rename: the same inode under both names is 0 before any permission check.
  if (nw.k === "file" && nw.ino === old.ino) return 0;
  if (!permission(p, dirAttrs(s, a.dir), MAY_WRITE | MAY_EXEC)) return -EACCES;
  if (nw.k === "dir") return -EISDIR;
  if (nw.k === "file") dropLink(s, nw.ino);
  delete s.dents[dentKey(a.dir, a.last)];
  const key = dentKey(b.dir, b.last);
  s.dents[key] = old.ino;
  inodeOf(s, old.ino).path = key;
  return 0;
}

/**
 * A rename whose source is a directory of the tree (a mount's mountpoint, or one above):
 * lock_rename's trap (the source above the target: EINVAL; the target above the source:
 * ENOTEMPTY), the same dentry (0), may_delete on both sides, then a mountpoint is EBUSY.
 */
function renameTreeDir(s: KState, p: Proc, old: Extract<Dentry, { k: "dir" }>, nw: Dentry): number {
  const from = dentKey(old.dir, old.name), to = dentKey(nw.dir, nw.name);
  if (nw.dir.path === from || nw.dir.path.startsWith(from + "/")) return -EINVAL;
  if (old.dir.path === to || old.dir.path.startsWith(to + "/")) return -ENOTEMPTY;
  if (from === to) return 0;
  if (!permission(p, dirAttrs(s, old.dir), MAY_WRITE | MAY_EXEC)) return -EACCES;
  if (!permission(p, dirAttrs(s, nw.dir), MAY_WRITE | MAY_EXEC)) return -EACCES;
  if (nw.k === "file") return -ENOTDIR;
  // A directory that changes parent must be writable itself: its ".." changes.
  if (old.dir.path !== nw.dir.path && !permission(p, OUTER_DIR, MAY_WRITE)) return -EACCES;
  if (old.mountpoint || (nw.k === "dir" && nw.mountpoint)) return -EBUSY;
  // Only the tree's own directories are left: every one holds the way to a mount.
  if (nw.k === "dir") return -ENOTEMPTY;
  throw new ModelBug(`rename(${from}, ${to}): moving a directory of the tree is not modelled (scripts cannot name one)`);
}
