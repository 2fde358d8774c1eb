// What the state panel shows, as plain data computed from the kernel's state: blocks per
// mount, files' pages -> blocks, /proc/locks, processes, pins, and the admin views. Each
// item has a key and a text, so that a step's changes are the items whose text differs.
import type { KState, Proc, PinSet, OpenFile } from "../../src/kernel/include/state.js";
import { PState, FK_INODE, FK_UVERBS, FK_IO_URING, PIN_DAX, PIN_PAGE, CAP } from "../../src/kernel/include/state.js";
import { O_ACCMODE, OPEN_FLAGS } from "../../src/kernel/include/uapi.js";
import { procLocksLines } from "../../src/kernel/locks/locks.js";
import { procFds } from "../../src/kernel/fs/file.js";
import { lsofLines, rdmaLines, catProc } from "../../src/kernel/fs/proc.js";
import { signalName } from "../../src/kernel/include/signal_names.js";
import { quoteBytes } from "../../src/scenario/lex.js";

export interface Item { key: string; text: string }

export interface BlockView extends Item {
  n: number;
  /** The file that owns it (its path), null when free. */
  owner: string | null;
  /** Short label of the owner (its base name), and which page of it the block is (-1: not mapped by a page index we know). */
  label: string;
  page: number;
  /** Index of the owner in the state's files, for its colour. */
  colour: number;
  pins: number;
  pinners: string[];
  data: string;
  unwritten: boolean;
}

export interface MountView { key: string; title: string; blocks: BlockView[]; shown: number; total: number }
export interface FileView extends Item { path: string; summary: string; pages: { page: number; block: number }[]; colour: number }
export interface ProcView extends Item { name: string; creds: string; status: string; dead: boolean; asleep: boolean; lines: Item[] }
export interface AdminView { title: string; command: string; lines: string[] }

export interface StateView {
  now: number;
  mounts: MountView[];
  files: FileView[];
  locks: Item[];
  procs: ProcView[];
  pins: Item[];
  admin: AdminView[];
}

/** At most this many blocks of a mount are drawn (the model only keeps those ever used). */
const MAX_BLOCKS = 512;

function alive(p: Proc): boolean {
  return p.state === PState.Running || p.state === PState.Blocked;
}

function base(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1) || path;
}

export function openFlags(flags: number): string {
  const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][flags & O_ACCMODE]!;
  const rest = OPEN_FLAGS.filter(([n, v]) => n !== "O_LARGEFILE" && (flags & v) === v).map(([n]) => n);
  return [acc, ...rest].join("|");
}

function pinsetName(k: KState, ps: PinSet): string {
  const who = k.procs.find((p) => p.pid === ps.pid)?.name ?? String(ps.pid);
  return ps.kind === "mr" ? `MR ${ps.id} (${who})` : `io_uring buffer (${who})`;
}

function fileWhat(k: KState, f: OpenFile): string {
  const path = k.inodes[f.ino]?.path ?? "?";
  if (f.kind === FK_UVERBS) return `${path} (RDMA context)`;
  if (f.kind === FK_IO_URING) return `io_uring instance (${f.sqEntries} SQ entries)`;
  return path;
}

function waitText(k: KState, p: Proc): string {
  const w = p.wait!;
  const path = k.inodes[w.ino]?.path ?? "?";
  const until = w.wake >= 0 ? `times out in ${w.wake - k.now} ms` : "no timeout";
  const what = w.kind === "lease" ? `a lease break on ${path}` : w.kind === "dax" ? `pinned pages of ${path} to be unpinned`
    : w.kind === "unpin" ? `the pins under its lease on ${path} to go`
    : w.kind === "sock" ? `a message on the socket of descriptor ${w.fd}` : "its ring to become readable";
  return `asleep in ${w.call || "its call"}: waits for ${what} (${until}${w.woken ? ", woken" : ""})`;
}

function procStatus(k: KState, p: Proc): string {
  if (p.state === PState.Exited) return `exited with ${p.code}`;
  if (p.state === PState.Killed) return `killed by ${signalName(p.code)}`;
  if (p.wait !== null) return waitText(k, p);
  return p.fatal !== 0 ? `running, ${signalName(p.fatal)} pending` : "running";
}

function pinnersByBlock(k: KState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const ps of k.pinsets) {
    if (ps === null) continue;
    for (let i = 0; i < ps.pinned.length; i += 4) {
      if (ps.pinned[i] !== PIN_DAX) continue;
      const key = `${ps.pinned[i + 1]}:${ps.pinned[i + 2]}`;
      const list = out.get(key) ?? [];
      const name = pinsetName(k, ps);
      if (!list.includes(name)) list.push(name);
      out.set(key, list);
    }
  }
  return out;
}

export function stateView(k: KState): StateView {
  // Colours by file, in inode order, so a file keeps its colour from step to step.
  const colourOf = new Map<number, number>();
  k.inodes.forEach((i) => { if (i !== null && i.mnt >= 0 && (i.mode & 0o170000) !== 0o040000) colourOf.set(i.ino, colourOf.size); });
  const pinners = pinnersByBlock(k);

  const mounts: MountView[] = k.mounts.map((mt, mi) => {
    const total = Math.max(mt.owner.length, mt.pins.length);
    const shown = Math.min(total, MAX_BLOCKS);
    // Page index of each block, from the files' maps.
    const pageOf = new Map<number, number>();
    for (const i of k.inodes) if (i !== null && i.mnt === mi) i.map.forEach((b, pg) => { if (b >= 0) pageOf.set(b, pg); });
    const blocks: BlockView[] = [];
    for (let b = 0; b < shown; b++) {
      const o = mt.owner[b] ?? -1;
      const inode = o >= 0 ? k.inodes[o] : null;
      const owner = inode?.path ?? (o >= 0 ? `inode ${o}` : null);
      const who = pinners.get(`${mi}:${b}`) ?? [];
      const pins = mt.pins[b] ?? 0;
      const data = mt.data[b] ?? "";
      const unwritten = (mt.unwritten[b] ?? 0) === 1;
      const page = o >= 0 ? pageOf.get(b) ?? -1 : -1;
      const label = owner === null ? "free" : base(owner);
      const text = `block ${b}: ${owner === null ? "free" : `${owner}${page >= 0 ? ` page ${page}` : ""}`}` +
        `${pins > 0 ? `, pinned ${pins}x${who.length ? ` by ${who.join(", ")}` : ""}` : ""}${unwritten ? ", unwritten" : ""}` +
        `${data !== "" ? `, data ${quoteBytes(data.slice(0, 24))}${data.length > 24 ? "..." : ""}` : ""}`;
      blocks.push({ key: `${mt.path}#${b}`, text, n: b, owner, label, page, colour: o >= 0 ? colourOf.get(o) ?? 0 : -1, pins, pinners: who, data, unwritten });
    }
    const title = `${mt.path} (${mt.type}, dax=${mt.dax}, ${mt.bsize}-byte blocks, ${mt.nblocks} in all)`;
    return { key: mt.path, title, blocks, shown, total };
  });

  const files: FileView[] = [];
  for (const i of k.inodes) {
    if (i === null || i.mnt < 0 || (i.mode & 0o170000) === 0o040000) continue;
    const pages = i.map.map((block, page) => ({ page, block }));
    const links = i.nlink === 0 ? "unlinked" : i.nlink === 1 ? "" : `${i.nlink} links`;
    const summary = [`${i.size} bytes`, `uid ${i.uid}`, `mode 0${(i.mode & 0o7777).toString(8)}`, links].filter(Boolean).join(", ");
    const map = pages.map((p) => `${p.page}->${p.block < 0 ? "hole" : p.block}`).join(" ");
    files.push({ key: `ino ${i.ino}`, text: `${i.path}: ${summary}; ${map}`, path: i.path, summary, pages, colour: colourOf.get(i.ino) ?? 0 });
  }

  const locks = procLocksLines(k).map((l, n) => ({ key: `lock ${n}`, text: l }));

  const procs: ProcView[] = k.procs.map((p) => {
    const lines: Item[] = [];
    if (alive(p)) {
      procFds(k, p).forEach((id, fd) => {
        if (id < 0 || fd <= 2) return;
        const f = k.files[id];
        if (f === null || f === undefined) return;
        const extra = f.kind === FK_INODE ? ` ${openFlags(f.flags)}` : "";
        lines.push({ key: `fd ${fd}`, text: `fd ${fd}: ${fileWhat(k, f)}${extra}` });
      });
      for (const v of p.vmas) {
        const f = v.file >= 0 ? k.files[v.file] : null;
        const inode = f ? k.inodes[f.ino] : null;
        const n = (v.end - v.start) / 4096;
        let what = "anonymous memory";
        if (inode && f?.kind === FK_INODE) {
          const first = v.pgoff, last = v.pgoff + n - 1;
          const blocks = Array.from({ length: n }, (_, j) => inode.map[first + j] ?? -1).map((b) => (b < 0 ? "hole" : String(b)));
          what = `${inode.path} pages ${first}-${last} -> blocks ${blocks.join(",")}`;
        } else if (f?.kind === FK_IO_URING) what = "its io_uring's rings";
        const prot = `${v.prot & 1 ? "r" : "-"}${v.prot & 2 ? "w" : "-"}`;
        lines.push({ key: `vma ${v.start}`, text: `maps 0x${v.start.toString(16)}-0x${v.end.toString(16)} ${prot} ${v.flags & 1 ? "shared" : "private"}: ${what}` });
      }
    }
    const status = procStatus(k, p);
    const creds = `pid ${p.pid}, uid ${p.uid}`;
    return {
      key: `proc ${p.name}`, text: `${p.name} (${creds}): ${status}`, name: p.name, creds, status, lines,
      dead: !alive(p), asleep: p.state === PState.Blocked,
    };
  });

  const pins: Item[] = [];
  for (const ps of k.pinsets) {
    if (ps === null) continue;
    const n = ps.pinned.length / 4;
    const targets: string[] = [];
    for (let i = 0; i < ps.pinned.length; i += 4) {
      if (ps.pinned[i] === PIN_DAX) targets.push(`block ${ps.pinned[i + 2]} of ${k.mounts[ps.pinned[i + 1]!]?.path ?? "?"}`);
      else if (ps.pinned[i] === PIN_PAGE) {
        const g = k.pages[ps.pinned[i + 2]!];
        targets.push(g === null || g === undefined ? "a page" : g.ino >= 0 ? `page-cache page ${g.index} of ${k.inodes[g.ino]?.path ?? "?"}` : g.index >= 0 ? "a page truncated away (orphan)" : "anonymous page");
      }
    }
    const owner = k.files[ps.ctx];
    const state = ps.dead ? "revoked: the device gets an access error" : ps.odp ? "on demand (ODP): no pins" : `${n} page${n === 1 ? "" : "s"} pinned`;
    const lease = ps.lease >= 0 ? ", taken under a lease" : "";
    const hold = ps.hold >= 0 ? `, holds ${k.files[ps.hold] ? fileWhat(k, k.files[ps.hold]!) : "a file"} open` : "";
    const via = owner ? ` via ${ps.kind === "mr" ? `context ${fileWhat(k, owner)}` : "its ring"}` : "";
    const range = `${ps.len} bytes at 0x${ps.addr.toString(16)}`;
    pins.push({
      key: `${ps.kind} ${ps.id}`,
      text: `${pinsetName(k, ps)}${via}${ps.pd >= 0 ? `, pd ${ps.pd}` : ""}: ${range}; ${state}${lease}${hold}${targets.length ? ` — ${targets.join(", ")}` : ""}${ps.files.length ? `; files: ${[...new Set(ps.files)].join(", ")}` : ""}`,
    });
  }

  // The admin views, as a sysadmin (root) would run them.
  const admin: AdminView[] = [];
  for (const f of files) admin.push({ title: `lsof ${f.path}`, command: `lsof("${f.path}")`, lines: lsofLines(k, f.path) });
  admin.push({ title: "rdma resource show mr", command: `rdma("resource show mr")`, lines: rdmaLines(k, "resource show mr") ?? [] });
  if (k.pol.filePinsView) {
    const root = k.procs.find((p) => p.uid === 0) ?? { ...k.procs[0]!, uid: 0, caps: CAP.SYS_PTRACE };
    for (const p of k.procs) {
      if (!alive(p)) continue;
      const lines = catProc(k, `/proc/${p.name}/file_pins`, { ...root, uid: 0, caps: root.caps | CAP.SYS_PTRACE });
      admin.push({ title: `/proc/${p.name}/file_pins`, command: `cat("/proc/${p.name}/file_pins")`, lines: typeof lines === "number" ? [] : lines });
    }
  }
  return { now: k.now, mounts, files, locks, procs, pins, admin };
}

/** Keys of items whose text differs from the previous state's (new or changed), and the texts of those gone. */
export function changes(prev: Item[], cur: Item[]): { changed: Set<string>; gone: Item[] } {
  const before = new Map(prev.map((i) => [i.key, i.text]));
  const now = new Set(cur.map((i) => i.key));
  const changed = new Set<string>();
  for (const i of cur) if (before.get(i.key) !== i.text) changed.add(i.key);
  const gone = prev.filter((i) => !now.has(i.key));
  return { changed, gone };
}
