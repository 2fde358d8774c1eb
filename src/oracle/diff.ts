// Step-by-step comparison of a model run with a kernel run of the same scenario.
import type { RunReport } from "../scenario/report.js";

/** A step whose actual result differs: the model's, and each kernel run's (`kernel[0]` is run 1). */
export interface Difference { line: number; proc: string | null; step: string; model: string | null; kernel: (string | null)[] }

/**
 * The steps where the model differs from the first kernel run, or the kernel runs differ
 * from each other; a step one side did not run is null there.
 */
export function diffSteps(model: RunReport, kernels: RunReport[]): Difference[] {
  const out: Difference[] = [];
  if (model.skipped !== undefined || kernels.some((k) => k.skipped !== undefined)) return out;
  const lines = [...new Set([...model.steps, ...kernels.flatMap((k) => k.steps)].map((s) => s.line))].sort((a, b) => a - b);
  for (const line of lines) {
    const m = model.steps.find((s) => s.line === line);
    const ks = kernels.map((k) => k.steps.find((s) => s.line === line));
    const any = m ?? ks.find((k) => k !== undefined)!;
    const k0 = ks[0];
    const same = (a: typeof m, b: typeof m) => a !== undefined && b !== undefined && (a.actual === b.actual || bothAddresses(a.step, a.actual, b.actual));
    if (same(m, k0) && ks.every((k) => same(k0, k))) continue;
    out.push({ line, proc: any.proc, step: any.step, model: m?.actual ?? null, kernel: ks.map((k) => k?.actual ?? null) });
  }
  return out;
}

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
