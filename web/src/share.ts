// What a link carries, in the URL's fragment (never sent to a server): a bundled scenario by
// its id, or the script itself (UTF-8, base64url); the policy; the selected step; the policy
// compared with.
export interface Shared {
  id: string | null;
  text: string | null;
  policy: string | null;
  step: number;
  compare: string | null;
}

function toBase64Url(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(s: string): string | null {
  try {
    const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

export function readHash(hash: string): Shared {
  const q = new URLSearchParams(hash.replace(/^#/, ""));
  const step = Number(q.get("step") ?? "0");
  const script = q.get("script");
  return {
    id: q.get("scenario"),
    text: script === null ? null : fromBase64Url(script),
    policy: q.get("policy"),
    step: Number.isInteger(step) && step >= 0 ? step : 0,
    compare: q.get("compare"),
  };
}

export function writeHash(s: Shared): string {
  const q = new URLSearchParams();
  if (s.id !== null) q.set("scenario", s.id);
  else if (s.text !== null) q.set("script", toBase64Url(s.text));
  if (s.policy !== null) q.set("policy", s.policy);
  if (s.step > 0) q.set("step", String(s.step));
  if (s.compare !== null) q.set("compare", s.compare);
  return "#" + q.toString();
}
