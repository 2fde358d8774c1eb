// The explorer in a Web Worker: the CLI's checkScenario, unchanged, with progress posted to
// the page. The page cancels a check by terminating the worker.
import { parseScenario } from "../../src/scenario/parse.js";
import { checkScenario } from "../../src/explore/check.js";
import type { CheckJob, CheckEvent } from "./checker.js";

const post = (e: CheckEvent) => (self as unknown as Worker).postMessage(e);

self.onmessage = (msg: MessageEvent<{ jobs: CheckJob[]; maxStates: number }>) => {
  const { jobs, maxStates } = msg.data;
  jobs.forEach((job, i) => {
    try {
      const sc = parseScenario(job.text, job.file);
      const report = checkScenario(sc, job.policy, {
        maxStates, now: () => performance.now(), progressMs: 150,
        progress: (p) => post({ type: "progress", job: i, states: p.states, depth: p.depth, seconds: p.seconds }),
      });
      post({ type: "report", job: i, report });
    } catch (e) {
      post({ type: "error", job: i, message: e instanceof Error ? e.message : String(e) });
    }
  });
  post({ type: "done" });
};
