// Step-by-step comparison of a model run with a kernel run of the same scenario.
import type { RunReport } from "../scenario/report.js";

/** One line per step whose actual result differs: `LINE PROC: STEP: model X, kernel Y`. */
export function diffReports(model: RunReport, kernel: RunReport): string[] {
  const out: string[] = [];
  if (model.skipped !== undefined || kernel.skipped !== undefined) return out;
  const k = new Map(kernel.steps.map((s) => [s.line, s]));
  const seen = new Set<number>();
  for (const m of model.steps) {
    seen.add(m.line);
    const kk = k.get(m.line);
    if (kk === undefined) {
      out.push(`${m.line} ${who(m.proc)}${m.step}: model ${show(m.actual)}, kernel (not run)`);
      continue;
    }
    if (m.actual !== kk.actual && !bothAddresses(m.step, m.actual, kk.actual)) out.push(`${m.line} ${who(m.proc)}${m.step}: model ${show(m.actual)}, kernel ${show(kk.actual)}`);
  }
  for (const s of kernel.steps) if (!seen.has(s.line)) out.push(`${s.line} ${who(s.proc)}${s.step}: model (not run), kernel ${show(s.actual)}`);
  return out;
}

/**
 * Where an unbound mmap without a hint lands is the kernel's choice (the model places
 * mappings top-down, without ASLR, and ignores hints): success on both sides is the same
 * result. With a hint or MAP_FIXED the address is compared.
 */
function bothAddresses(step: string, a: string | null, b: string | null): boolean {
  const addr = /^0x[0-9a-f]+$/;
  return /^mmap\((NULL|0), /.test(step) && !step.includes("MAP_FIXED") && a !== null && b !== null && addr.test(a) && addr.test(b);
}

function who(p: string | null): string {
  return p === null ? "" : `${p}: `;
}

function show(a: string | null): string {
  if (a === null) return "-";
  return a.includes("\n") ? JSON.stringify(a) : a;
}
