// The driver's end of the agents: an abstract unix socket every agent connects to (it
// needs no path in the run's tree), the keeper whose PID namespace's init builds the tree
// and forks the agents, and one Agent object per scenario process. Agents are known by
// their pids inside that namespace, and looked at through its own /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import type { SigInfo } from "../scenario/report.js";
import { probe } from "./procfs.js";
import { errnoName } from "../kernel/include/errno.js";

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

  /** `pid`: in the run's PID namespace; `proc`: that namespace's procfs, seen from here. */
  constructor(readonly name: string, readonly pid: number, readonly conn: Conn, private proc: string) {}

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
    const p = probe(this.proc, this.pid);
    if (p.k === "dead" && this.status === null) this.status = p.status;
    return p;
  }
}

export class Fleet {
  readonly agents = new Map<string, Agent>();
  readonly byPid = new Map<number, Agent>();
  private hellos = new Map<string, { pid: number; conn: Conn }>();
  private helloWaiters = new Map<string, (v: { pid: number; conn: Conn }) => void>();
  private initConn: Conn | null = null;
  private initWaiter: ((v: { conn: Conn; pid: number }) => void) | null = null;
  private keeper: ChildProcess | null = null;
  private keeperExit: Promise<void> = Promise.resolve();
  private conns: Conn[] = [];
  /** The namespace's init, by its pid on the machine: /proc/PID/root is the run's tree. */
  initPid = 0;
  stderr = "";

  private constructor(private server: Server) {}

  /** The run's tree as the driver reaches it. */
  get treeRoot(): string {
    return `/proc/${this.initPid}/root`;
  }

  /** The run's own /proc (its PID namespace's). */
  get procRoot(): string {
    return `${this.treeRoot}/proc`;
  }

  /** The keeper's pid on the machine (its process group too): what a signal handler kills. */
  get keeperPid(): number {
    return this.keeper?.pid ?? 0;
  }

  /** Starts the keeper; its init mounts a tmpfs on `rootDir` (in its own mount namespace) and greets. */
  static async start(agentBin: string, rootDir: string, onKeeper: (pid: number) => void = () => {}): Promise<Fleet> {
    const server = createServer();
    const fleet = new Fleet(server);
    server.on("connection", (s) => fleet.accept(s));
    // Abstract (Linux): no file, so nothing to place in the tree or to remove. The random
    // part keeps other processes from guessing it.
    const name = `daxlease-oracle-${process.pid}-${randomBytes(8).toString("hex")}`;
    await new Promise<void>((res, rej) => {
      server.once("error", rej);
      server.listen("\0" + name, () => res());
    });
    const up = new Promise<{ conn: Conn; pid: number }>((res) => { fleet.initWaiter = res; });
    const k = spawn(agentBin, ["keeper", name, rootDir], { detached: true, stdio: ["ignore", "ignore", "pipe"] });
    fleet.keeper = k;
    if (k.pid !== undefined) onKeeper(k.pid);
    fleet.keeperExit = new Promise((res) => {
      k.on("exit", () => res());
      k.on("error", () => res());
    });
    k.stderr!.setEncoding("utf8");
    k.stderr!.on("data", (d: string) => { if (fleet.stderr.length < 65536) fleet.stderr += d; });
    const v = await withTimeout(up, 5000);
    if (v === undefined) {
      await fleet.shutdown();
      throw new Error("the oracle keeper did not start: " + fleet.stderr);
    }
    fleet.initConn = v.conn;
    fleet.initPid = v.pid;
    return fleet;
  }

  private accept(s: Socket) {
    const c = new Conn(s);
    this.conns.push(c);
    c.onLine = (line) => {
      c.onLine = null; // only the first line is a greeting
      const t = line.split(" ");
      if (t[0] === "K") this.initWaiter?.({ conn: c, pid: Number(t[1]) });
      else if (t[0] === "H") {
        const v = { pid: Number(t[2]), conn: c };
        const w = this.helloWaiters.get(t[1]!);
        if (w) w(v);
        else this.hellos.set(t[1]!, v);
      }
      return true;
    };
  }

  /** One command to the init (tmpfs, loop, root, spawn): its number, or an Error. */
  async init(cmd: string): Promise<number> {
    const r = await this.initConn!.ask(cmd);
    const n = Number(r?.split(" ")[1]);
    if (r === null || !r.startsWith("R ") || !Number.isInteger(n)) throw new Error(`the oracle's init did not answer ${cmd}: ${this.stderr}`);
    if (n < 0) throw new Error(`the oracle's init failed ${cmd}: ${errnoName(-n)}`);
    return n;
  }

  /** Waits for the greeting of the agent that will be `name`. */
  async hello(name: string, ms: number): Promise<Agent | null> {
    let v = this.hellos.get(name);
    if (v === undefined) {
      v = await withTimeout(new Promise<{ pid: number; conn: Conn }>((res) => this.helloWaiters.set(name, res)), ms);
      this.helloWaiters.delete(name);
    }
    if (v === undefined) return null;
    const a = new Agent(name, v.pid, v.conn, this.procRoot);
    this.agents.set(name, a);
    this.byPid.set(v.pid, a);
    return a;
  }

  /** A scenario process from `@proc`, forked by the init. */
  async spawnAgent(name: string, uid: number, gid: number, caps: bigint, sigDefault: boolean): Promise<Agent> {
    await this.init(`spawn ${name} ${uid} ${gid} ${caps.toString(16)} ${sigDefault ? 1 : 0} 022`);
    const a = await this.hello(name, 5000);
    if (a === null) throw new Error(`agent ${name} did not start: ${this.stderr}`);
    return a;
  }

  /**
   * Ends the run: the init kills every process of its PID namespace and exits, the keeper
   * follows, and the tree's mounts go with the last of them. Never throws.
   */
  async shutdown(): Promise<void> {
    if (this.initConn !== null && !this.initConn.closed) this.initConn.sock.write("quit\n");
    const exited = await withTimeout(this.keeperExit.then(() => true), 5000);
    if (exited === undefined) {
      // The keeper's death is the init's (PDEATHSIG), and the init's is every agent's.
      killKeeper(this.keeperPid);
      await withTimeout(this.keeperExit, 2000);
    }
    for (const c of this.conns) c.sock.destroy();
    await new Promise<void>((res) => this.server.close(() => res()));
  }
}

/** SIGKILL to the keeper's process group (the keeper and its init): safe from a signal handler. */
export function killKeeper(pid: number): void {
  if (pid > 0) try { process.kill(-pid, "SIGKILL"); } catch { /* gone */ }
}

export function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<undefined>((res) => { t = setTimeout(() => res(undefined), Math.max(0, ms)); }),
  ]);
}
