// Progress of a long command (oracle, diff, fuzz, matrix) on stderr, only when stderr is a
// terminal: a bar, the count, the seconds so far and what runs now. Results go to stdout
// as they come, written above the bar.
import cliProgress from "cli-progress";

type Env = Record<string, string | undefined>;

/** A bar only for a terminal that can redraw a line (not TERM=dumb), and not under CI. */
export function showProgress(env: Env, isTTY: boolean): boolean {
  return isTTY && env.TERM !== "dumb" && env.CI === undefined;
}

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private value = 0;
  private label = "";
  private readonly t0 = Date.now();

  constructor(private total: number, private what: string, enabled = showProgress(process.env, process.stderr.isTTY === true)) {
    if (!enabled) return;
    this.bar = new cliProgress.SingleBar({
      stream: process.stderr, clearOnComplete: true, hideCursor: true, barsize: 20, linewrap: false, fps: 4,
      format: (o, p) => {
        const secs = Math.floor((Date.now() - this.t0) / 1000);
        const head = `${cliProgress.Format.BarFormat(p.progress, o)} ${p.value}/${p.total} ${this.what}, ${secs} s  `;
        const room = Math.max(0, (p.maxWidth || 80) - head.length - 1);
        const label = this.label.length > room ? "…" + this.label.slice(this.label.length - room + 1) : this.label;
        return head + label;
      },
    }, cliProgress.Presets.shades_classic);
    this.bar.start(total, 0);
  }

  /** What is running now. */
  now(label: string): void {
    this.label = label;
    this.bar?.update(this.value);
  }

  /** One more done. */
  tick(): void {
    this.value++;
    this.bar?.update(this.value);
  }

  /** A more precise total, once known (fuzz: the runs fast-check makes). */
  setTotal(total: number): void {
    this.total = total;
    this.bar?.setTotal(total);
  }

  /** Writes to stdout above the bar: the bar is taken down and drawn again below. */
  print(text: string): void {
    if (this.bar === null) { process.stdout.write(text); return; }
    this.bar.stop();
    process.stdout.write(text);
    this.bar.start(this.total, this.value);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
