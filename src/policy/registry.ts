// The policies by name, and the one a state runs under (`s.policy`, e.g. "sticky,close=revoke").
import type { KState } from "../kernel/include/state.js";
import type { Policy, PolicyDoc, Hooks } from "./types.js";
import { LINUX, PROPOSALS } from "./policies.js";

export const ALL: (PolicyDoc & Hooks)[] = [LINUX, ...PROPOSALS];

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
  const p: Policy = { ...base, opts };
  cache.set(spec, p);
  return p;
}

export function policyOf(s: KState): Policy {
  const p = parsePolicy(s.policy);
  if (typeof p === "string") throw new Error(p);
  return p;
}
