// The policies by name. A machine is booted with one (`sticky,close=revoke`); the kernel
// reaches it only through the state's `pol` pointer and never imports this registry.
import type { Policy, PolicyDef } from "./types.js";
import { LINUX, PROPOSALS } from "./policies.js";

export const ALL: PolicyDef[] = [LINUX, ...PROPOSALS];

const cache = new Map<string, Policy>();

/** Parses `name[,opt=value...]`; a string saying what is wrong when it cannot. */
export function parsePolicy(spec: string): Policy | string {
  const hit = cache.get(spec);
  if (hit !== undefined) return hit;
  const [name, ...rest] = spec.split(",");
  const base = ALL.find((p) => p.name === name);
  if (base === undefined) return `unknown policy ${name} (daxlease policies lists them)`;
  const opts: Record<string, string> = {};
  for (const [k, vals] of Object.entries(base.options)) opts[k] = vals[0]!;
  for (const o of rest) {
    const [k, v] = o.split("=");
    const allowed = k === undefined ? undefined : base.options[k];
    if (allowed === undefined) return `policy ${name} has no option ${k}`;
    if (v === undefined || !allowed.includes(v)) return `${name}: ${k}= is one of ${allowed.join(", ")}`;
    opts[k!] = v;
  }
  const { configure, ...def } = base;
  const p: Policy = Object.freeze({ ...def, ...(configure?.(opts) ?? {}), spec, opts: Object.freeze(opts) });
  cache.set(spec, p);
  return p;
}

/** A policy the caller knows is valid (it was checked when the script or the command line was read). */
export function policyNamed(spec: string): Policy {
  const p = parsePolicy(spec);
  if (typeof p === "string") throw new Error(p);
  return p;
}

/** Every policy and variant a verdict has a column for: each policy, and each value of each option. */
export function policyVariants(): string[] {
  const out: string[] = [];
  for (const p of ALL) {
    const opts = Object.entries(p.options);
    if (opts.length === 0) { out.push(p.name); continue; }
    if (p.plainDefault === true) out.push(p.name);
    for (const [k, vals] of opts) for (const v of p.plainDefault === true ? vals.slice(1) : vals) out.push(`${p.name},${k}=${v}`);
  }
  return out;
}
