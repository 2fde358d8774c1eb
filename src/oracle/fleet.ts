// The driver's end of the agents: a unix socket every agent connects to, the keeper
// process that forks them, and one Agent object per scenario process.
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { SigInfo } from "../scenario/report.js";
import { probe } from "./procfs.js";

/** What an agent answered: the call's return (negative: -errno), bytes read (latin1), signals since its last answer. */
export interface Reply { ret: number; data: string; sigs: SigInfo[] }

/** Lines in, with a FIFO of waiters for the replies. */
class Conn {
  private buf = "";
  private waiters: ((r: string | null) => void)[] = [];
  closed = false;
  onLine: ((line: string) => boolean) | null = null;

  constructor(readonly sock: Socket) {
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        if (this.onLine !== null && this.onLine(line)) continue;
        this.waiters.shift()?.(line);
      }
    });
    const end = () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w(null);
    };
    sock.on("close", end);
    sock.on("error", end);
  }

  /** Sends one line; resolves with the answer line, or null when the peer is gone. */
  ask(line: string): Promise<string | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((res) => {
      this.waiters.push(res);
      this.sock.write(line + "\n");
    });
  }

  get waiting(): number {
    return this.waiters.length;
  }
}

export class Agent {
  /** Signals received and not yet reported by a signal step, in arrival order. */
  sigs: SigInfo[] = [];
  lost = 0;
  /** Set once /proc showed the process dead. */
  status: string | null = null;

  constructor(readonly name: string, readonly pid: number, readonly conn: Conn) {}

  get dead(): boolean {
    return this.status !== null;
  }

  /** Commands sent and not answered yet. */
  get inFlight(): number {
    return this.conn.waiting;
  }

  async call(cmd: string): Promise<Reply | null> {
    const line = await this.conn.ask(cmd);
    if (line === null) return null;
    const t = line.split(" ");
    const sigs: SigInfo[] = [];
    for (const s of t.slice(3)) {
      if (s.startsWith("L")) { this.lost += Number(s.slice(1)); continue; }
      const [signo, code, fd, band] = s.split(",").map(Number);
      sigs.push({ signo: signo!, code: code!, fd: fd!, band: band! });
    }
    this.sigs.push(...sigs);
    return { ret: Number(t[1]), data: t[2] === "-" ? "" : Buffer.from(t[2]!, "hex").toString("latin1"), sigs };
  }

  /** Looks at /proc; remembers a death. */
  look() {
    const p = probe(this.pid);
    if (p.k === "dead" && this.status === null) this.status = p.status;
    return p;
  }
}

export class Fleet {
  readonly agents = new Map<string, Agent>();
  readonly byPid = new Map<number, Agent>();
  private hellos = new Map<string, { pid: number; conn: Conn }>();
  private helloWaiters = new Map<string, (v: { pid: number; conn: Conn }) => void>();
  private keeperConn: Conn | null = null;
  private keeperWaiter: ((c: Conn) => void) | null = null;
  private keeper: ChildProcess | null = null;
  private keeperExit: Promise<void> = Promise.resolve();
  private conns: Conn[] = [];
  group = 0;
  stderr = "";

  private constructor(private server: Server) {}

  static async start(agentBin: string, sockPath: string): Promise<Fleet> {
    const server = createServer();
    const fleet = new Fleet(server);
    server.on("connection", (s) => fleet.accept(s));
    await new Promise<void>((res, rej) => {
      server.once("error", rej);
      server.listen(sockPath, () => res());
    });
    chmodSync(sockPath, 0o777); // agents that dropped root connect after a fork
    const keeperUp = new Promise<Conn>((res) => { fleet.keeperWaiter = res; });
    const k = spawn(agentBin, ["keeper", sockPath], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
    fleet.keeper = k;
    fleet.keeperExit = new Promise((res) => {
      k.on("exit", () => res());
      k.on("error", () => res());
    });
    k.stderr!.setEncoding("utf8");
    k.stderr!.on("data", (d: string) => { if (fleet.stderr.length < 65536) fleet.stderr += d; });
    const c = await withTimeout(keeperUp, 5000);
    if (c === undefined) {
      await fleet.shutdown();
      throw new Error("the oracle keeper did not start: " + fleet.stderr);
    }
    fleet.keeperConn = c;
    return fleet;
  }

  private accept(s: Socket) {
    const c = new Conn(s);
    this.conns.push(c);
    c.onLine = (line) => {
      c.onLine = null; // only the first line is a greeting
      const t = line.split(" ");
      if (t[0] === "K") this.keeperWaiter?.(c);
      else if (t[0] === "H") {
        const v = { pid: Number(t[2]), conn: c };
        const w = this.helloWaiters.get(t[1]!);
        if (w) w(v);
        else this.hellos.set(t[1]!, v);
      }
      return true;
    };
  }

  /** Waits for the greeting of the agent that will be `name`. */
  async hello(name: string, ms: number): Promise<Agent | null> {
    let v = this.hellos.get(name);
    if (v === undefined) {
      v = await withTimeout(new Promise<{ pid: number; conn: Conn }>((res) => this.helloWaiters.set(name, res)), ms);
      this.helloWaiters.delete(name);
    }
    if (v === undefined) return null;
    const a = new Agent(name, v.pid, v.conn);
    this.agents.set(name, a);
    this.byPid.set(v.pid, a);
    return a;
  }

  /** A scenario process from `@proc`, forked by the keeper. */
  async spawnAgent(name: string, uid: number, gid: number, caps: bigint, sigDefault: boolean): Promise<Agent> {
    const r = await this.keeperConn!.ask(`spawn ${name} ${uid} ${gid} ${caps.toString(16)} ${sigDefault ? 1 : 0} 022`);
    const pid = Number(r?.split(" ")[1]);
    if (!(pid > 0)) throw new Error(`the keeper could not fork ${name}: ${r}`);
    if (this.group === 0) this.group = pid;
    const a = await this.hello(name, 5000);
    if (a === null) throw new Error(`agent ${name} did not start: ${this.stderr}`);
    return a;
  }

  /** Kills and reaps every agent, closes the socket. Never throws. */
  async shutdown(): Promise<void> {
    if (this.keeperConn !== null && !this.keeperConn.closed) this.keeperConn.sock.write("quit\n");
    const exited = await withTimeout(this.keeperExit.then(() => true), 5000);
    if (exited === undefined) {
      for (const pg of [this.keeper?.pid ?? 0, this.group]) if (pg > 0) try { process.kill(-pg, "SIGKILL"); } catch { /* gone */ }
      await withTimeout(this.keeperExit, 2000);
    }
    // The keeper reaped them all; kill any straggler by pid as a last resort.
    for (const a of this.agents.values()) {
      if (a.look().k !== "dead") try { process.kill(a.pid, "SIGKILL"); } catch { /* gone */ }
    }
    for (const c of this.conns) c.sock.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<undefined>((res) => { t = setTimeout(() => res(undefined), Math.max(0, ms)); }),
  ]);
}
