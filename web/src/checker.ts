// The page's side of the explorer's worker: start a list of checks, hear their progress and
// reports, cancel (the worker is terminated and a new one made for the next check).
import type { CheckReport } from "../../src/explore/check.js";

export interface CheckJob {
  /** The script's file name (bundled path, or "playground.scn"), its text, its question for the matrix. */
  file: string;
  name: string;
  question: string;
  text: string;
  policy: string;
}

export type CheckEvent =
  | { type: "progress"; job: number; states: number; depth: number; seconds: number }
  | { type: "report"; job: number; report: CheckReport }
  | { type: "error"; job: number; message: string }
  | { type: "done" };

export class Checker {
  private worker: Worker | null = null;

  start(jobs: CheckJob[], maxStates: number, on: (e: CheckEvent) => void) {
    this.cancel();
    const w = new Worker(new URL("./check.worker.ts", import.meta.url), { type: "module" });
    this.worker = w;
    w.onmessage = (m: MessageEvent<CheckEvent>) => {
      if (this.worker !== w) return;
      on(m.data);
      if (m.data.type === "done") { w.terminate(); this.worker = null; }
    };
    w.onerror = (e) => { on({ type: "error", job: -1, message: e.message || "the worker failed" }); on({ type: "done" }); this.cancel(); };
    w.postMessage({ jobs, maxStates });
  }

  cancel() {
    this.worker?.terminate();
    this.worker = null;
  }
}
