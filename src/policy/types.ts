// A policy is data (its documentation) plus small hooks, called at the points where the
// kernel (or the proposal's patches) would decide. Every hook gets the plain state.
import type { KState, Proc, Inode, Lease, OpenFile } from "../kernel/include/state.js";

export interface PolicyDoc {
  name: string;
  summary: string;
  rules: string[];
  /** Points the thread left open, and what this policy chose. */
  choices: string[];
  sources: string[];
  /** Options as `name=value` (e.g. close=revoke): the allowed values, the first is the default. */
  options: Record<string, string[]>;
}

export interface Hooks {
  /** F_SETLEASE with an argument beyond F_RDLCK/F_WRLCK/F_UNLCK: the FL_ kind flags, or -errno. */
  leaseArg(s: KState, p: Proc, f: OpenFile, arg: number): number;
  /** F_SETLEASE F_UNLCK of `l`: 0 to go on, -errno, or BLOCKED (p.wait set). */
  unlock(s: KState, p: Proc, l: Lease): number;
  /**
   * A long-term pin (FOLL_LONGTERM) of pages of `inode` by `p`: 0, or -errno.
   * `out.lease` gets the lease the pins are taken under (-1 for none).
   */
  longtermPin(s: KState, p: Proc, inode: Inode, dax: boolean, write: boolean, out: { lease: number }): number;
  /**
   * Before a layout change over bytes [start, end) of `inode` (truncate, hole punch,
   * collapse, insert, zero range, or a write that must allocate): 0 to go on, -errno,
   * or BLOCKED (p.wait set; the call is redone when it wakes).
   */
  layoutChange(s: KState, p: Proc, inode: Inode, start: number, end: number, frees: boolean, call: string, args: (number | string)[]): number;
  /** At the last fput of a file that holds a lease with pins: what happens. */
  closeWithPins(s: KState, f: OpenFile, l: Lease): "drop" | "sigkill" | "revoke" | "block";
  /** May time_out_leases force lease `l` through (sticky: not while it has pins)? */
  timesOut(l: Lease): boolean;
  /** Do the pins hold the leased file open (RFC v2 file_pins, mr-owned)? */
  pinsHoldLeasedFile: boolean;
  /** Are memory regions registered on demand (no pins)? */
  forceOdp: boolean;
  /** Does F_SETLAYOUT exist? */
  setlayout: boolean;
  /** Admin views this policy adds: /proc/<pid>/file_pins, MR-owned files in rdma and lsof. */
  filePinsView: boolean;
  mrFileView: boolean;
}

export type Policy = PolicyDoc & Hooks & { opts: Record<string, string> };
