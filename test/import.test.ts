// daxlease import: strace logs of the fixture programs, recorded on this kernel and
// committed (test/fixtures/strace), become scripts the model runs step for step as the
// log shows; the reader's forms, one by one, on short logs; bad lines are LOG:LINE:COL.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { importStrace, type ImportOptions, type LogSource } from "../src/import/import.js";
import { parseSource, readLog } from "../src/import/strace.js";
import { logSources } from "../src/cli/import_cmd.js";
import { parseScenario } from "../src/scenario/parse.js";
import { runOnModel } from "../src/run/model.js";
import { ScriptError } from "../src/scenario/error.js";
import { LOGS, RECORDINGS, logArg, stepsByProc } from "./strace-fixtures.js";

const FS: ImportOptions = { fs: [{ path: "/mnt/pmem", type: "tmpfs", dax: "never" }] };

function imp(log: string, opts: ImportOptions = FS) {
  return importStrace([{ name: "t.strace", text: log }], opts);
}

function runs(text: string, policy = "linux") {
  return runOnModel(parseScenario(text, "imported.scn"), policy).report;
}

test("every committed log imports into a script the model runs exactly as the log shows", () => {
  for (const r of RECORDINGS) {
    const imported = importStrace(logSources([logArg(LOGS, r)]), FS);
    const rep = runs(imported.text);
    const bad = rep.steps.filter((s) => !s.ok).map((s) => `${s.line}: ${s.step} = ${s.actual} (log: ${s.expected})`);
    assert.deepEqual(bad, [], r.log);
    assert.ok(rep.steps.length >= 10, `${r.log}: only ${rep.steps.length} steps`);
    assert.deepEqual(rep.violations, [], r.log);
  }
});

test("the forms of one program's log import to the same steps", () => {
  const by = new Map<string, Record<string, string[]>[]>();
  for (const r of RECORDINGS) by.set(r.program, [...(by.get(r.program) ?? []), stepsByProc(importStrace(logSources([logArg(LOGS, r)]), FS).text)]);
  for (const [prog, all] of by) for (const s of all.slice(1)) assert.deepEqual(s, all[0], prog);
});

test("the lease pair: the breaker's blocking open waits for the holder, who is told by SIGIO", () => {
  const r = RECORDINGS.find((x) => x.log === "lease-pair.f.strace")!;
  const s = stepsByProc(importStrace(logSources([logArg(LOGS, r)]), FS).text);
  assert.deepEqual(Object.keys(s).sort(), ["lease_breaker", "lease_holder"]); // sh made no step of its own
  assert.deepEqual(s.lease_holder!.slice(0, 5), [
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR) = 3', "fcntl(3, F_SETLEASE, F_WRLCK) = 0", "--- SIGIO {si_code=SI_KERNEL} ---",
    "fcntl(3, F_GETLEASE) = F_RDLCK", "--- SIGIO {si_code=SI_KERNEL} ---",
  ]);
  assert.deepEqual(s.lease_breaker!.slice(0, 3), [
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDONLY|O_NONBLOCK) = -1 EAGAIN', 'openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR) ...', "<... openat resumed> = 3",
  ]);
});

test("map-truncate: the pipe's fds are left out, the file gets fd 3 in both processes, the child is a @proc", () => {
  const r = RECORDINGS.find((x) => x.log === "map-truncate.tt-T-y.strace")!;
  const t = importStrace(logSources([logArg(LOGS, r)]), FS).text;
  assert.match(t, /^@proc map_truncate_child /m);
  assert.doesNotMatch(t, /fork\(\)/);
  const s = stepsByProc(t);
  assert.deepEqual(s.map_truncate_child!.slice(0, 4), [
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDONLY) = 3', "mmap(NULL, 8192, PROT_READ, MAP_SHARED, 3, 0) = $m1",
    'truncate("/mnt/pmem/a", 4096) ...', "<... truncate resumed> = 0",
  ]);
});

test("uring-register: the ring, the buffer named $m1, and a fork that shares them", () => {
  const r = RECORDINGS.find((x) => x.log === "uring-register.yy-Xverbose.strace")!;
  const s = stepsByProc(importStrace(logSources([logArg(LOGS, r)]), FS).text);
  assert.deepEqual(s.uring_register!.slice(0, 6), [
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR) = 3', "fcntl(3, F_SETLEASE, F_LAYOUT) = -1 EINVAL",
    "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0) = $m1", "io_uring_setup(4) = 4",
    "io_uring_register_buffers(4, $m1, 8192) = 0", "fork() = uring_register_child",
  ]);
  assert.deepEqual(s.uring_register_child, ['truncate("/mnt/pmem/a", 0) = 0', "exit(0)", "+++ exited with 0 +++"]);
});

// ---- the reader, form by form ----

test("prefixes, timestamps and durations", () => {
  const forms = [
    "123 openat(AT_FDCWD, \"/x\", O_RDONLY) = 3",
    "[pid   123] openat(AT_FDCWD, \"/x\", O_RDONLY) = 3",
    "123   10:12:13.500000 openat(AT_FDCWD, \"/x\", O_RDONLY) = 3 <0.000012>",
    "[pid 123] 1700000000.250000 openat(AT_FDCWD, \"/x\", O_RDONLY) = 3",
  ];
  for (const f of forms) {
    const [e] = parseSource({ name: "l", text: f });
    assert.equal(e!.k, "call", f);
    assert.equal(e!.pid, 123, f);
    if (e!.k === "call") assert.equal(e!.ret.val, "3");
  }
  const [tt] = parseSource({ name: "l", text: forms[2]! });
  assert.equal(tt!.t, 10 * 3600 + 12 * 60 + 13.5);
  assert.equal(tt!.k === "call" ? tt!.dur : null, 0.000012);
  const rel = parseSource({ name: "l", text: "     0.000000 getpid() = 5\n     0.250000 getpid() = 5\n" });
  assert.deepEqual(rel.map((e) => e.t), [0, 0.25]);
});

test("-y paths, -X verbose comments, results with explanations, ERESTARTSYS", () => {
  const [a] = parseSource({ name: "l", text: `fcntl(3</mnt/pmem/a>, 0x401 /* F_GETLEASE */) = 0x1 (F_WRLCK)` });
  assert.ok(a!.k === "call" && a!.args === "3</mnt/pmem/a>, 0x401 /* F_GETLEASE */" && a!.ret.val === "0x1" && a!.ret.aux === "F_WRLCK");
  const [b] = parseSource({ name: "l", text: `openat(AT_FDCWD</tmp>, "a)b", O_RDONLY) = 4</tmp/a)b>` });
  assert.ok(b!.k === "call" && b!.ret.val === "4" && b!.ret.path === "/tmp/a)b");
  const [c] = parseSource({ name: "l", text: `read(5<TCP:[1.2.3.4:5->6.7.8.9:10]>, "", 4) = 0` });
  assert.ok(c!.k === "call" && c!.ret.val === "0");
  const [d] = parseSource({ name: "l", text: `pause() = ? ERESTARTNOHAND (To be restarted if no handler)` });
  assert.ok(d!.k === "call" && d!.ret.val === "?" && d!.ret.errno === "ERESTARTNOHAND");
  const [e] = parseSource({ name: "l", text: `open("/x", O_RDONLY) = -1 EAGAIN (Resource temporarily unavailable)` });
  assert.ok(e!.k === "call" && e!.ret.errno === "EAGAIN");
});

test("unfinished and resumed calls, signals, exits, strace's own notes", () => {
  const log = [
    "7 wait4(-1,  <unfinished ...>",
    "8 --- SIGIO {si_signo=SIGIO, si_code=SI_KERNEL} ---",
    "8 open(\"/x\", O_RDONLY <unfinished ...>",
    "8 <... open resumed> <unfinished ...>) = ?",
    "8 +++ killed by SIGKILL +++",
    "7 <... wait4 resumed>[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], 0, NULL) = 8",
    "7 +++ exited with 3 +++",
    "strace: Process 9 attached",
  ].join("\n");
  const ev = parseSource({ name: "l", text: log });
  assert.deepEqual(ev.map((e) => e.k), ["unfinished", "signal", "unfinished", "resumed", "killed", "resumed", "exited"]);
  const w = ev[5]!;
  assert.ok(w.k === "resumed" && w.args.startsWith("[{WIFSIGNALED") && w.ret.val === "8");
  // A note strace wrote into the middle of a call's line (stderr output).
  const mid = parseSource({ name: "l", text: "clone(child_stack=NULL, flags=SIGCHLDstrace: Process 9 attached\n, child_tidptr=0x1) = 9\n" });
  assert.equal(mid.length, 1);
  assert.ok(mid[0]!.k === "call" && mid[0]!.ret.val === "9");
});

test("unprefixed lines of a multi-process log belong to the process that was alone", () => {
  const log = [
    "set_tid_address(0x1) = 40",
    "clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 41",
    "[pid 41] getpid() = 41",
    "[pid 40] getpid() = 40",
    "[pid 41] +++ exited with 0 +++",
    "getpid() = 40",
  ].join("\n");
  const { events } = readLog([{ name: "l", text: log }]);
  assert.deepEqual(events.map((e) => e.pid), [40, 40, 41, 40, 41, 40]);
});

test("a line the reader cannot read is LOG:LINE:COL, never a crash", () => {
  const cases: [string, RegExp][] = [
    ["getpid() = 5\nhello world\n", /^l:2:1: cannot read this line/],
    ["123 open(\"/x\", O_RDONLY = 3\n", /^l:1:9: the call's arguments do not close/],
    ["open(\"/x\", O_RDONLY) = banana\n", /^l:1:24: cannot read the result "banana"/],
    ["123 10:00:00.0 --- SIGIO ---- \n", /^l:1:16: cannot read this signal line/],
    ["+++ exploded +++\n", /^l:1:1: cannot read this line \(expected \+\+\+/],
    ["open(\"/x\\q\", O_RDONLY) = 3\n", /^l:1:9: unknown escape/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseSource({ name: "l", text }), (e: unknown) => e instanceof ScriptError && re.test(e.message), text);
  }
  fc.assert(fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom("open(", "\"", ") = ", "<... x resumed>", "--- ", "+++ ", "[pid 1] ", "<unfinished ...>", "/*", "<"))), (parts) => {
    const text = parts.join("");
    try {
      importStrace([{ name: "l", text }], FS);
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
    }
  }), { numRuns: 300, seed: 12 });
});

test("a <... x resumed> line without that call <unfinished ...> in the same process is LOG:LINE:COL (issue 14, 1.7)", () => {
  const cases: [string, RegExp][] = [
    ["1 open(\"/x\", O_RDWR) = 3\n1 <... ftruncate resumed>) = 0\n", /^l:2:3: ftruncate resumed, but this process has no ftruncate written <unfinished \.\.\.> before it$/],
    ["1 ftruncate(3, 0 <unfinished ...>\n1 <... truncate resumed>) = 0\n", /^l:2:3: truncate resumed, but the unfinished call of this process is ftruncate \(line 1\)$/],
    ["1 ftruncate(3, 0 <unfinished ...>\n2 <... ftruncate resumed>) = 0\n", /^l:2:3: ftruncate resumed, but this process has no ftruncate/],
  ];
  for (const [text, re] of cases)
    assert.throws(() => importStrace([{ name: "l", text }], FS), (e: unknown) => e instanceof ScriptError && re.test(e.message), text);
  // The same call unfinished and resumed in its own process is one call.
  const t = imp("1 open(\"/mnt/pmem/a\", O_RDWR) = 3\n1 ftruncate(3, 0 <unfinished ...>\n2 getpid() = 2\n1 <... ftruncate resumed>) = 0\n");
  assert.match(t.text, /ftruncate\(3, 0\) = 0/);
});

// ---- the importer on short logs (constructed to exercise one rule each) ----

const HEAD = `1 execve("/bin/prog", ["prog"], 0x0 /* 1 var */) = 0\n`;

test("descriptors are renumbered as the model numbers them; dup2 and exec's close-on-exec close", () => {
  const t = imp(HEAD + [
    "1 pipe2([3, 4], 0) = 0",
    "1 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDWR|O_CLOEXEC) = 5",
    "1 dup(5) = 6",
    "1 dup2(3, 6) = 6",
    "1 fcntl(5, F_DUPFD, 10) = 10",
    "1 execve(\"/bin/other\", [\"other\"], 0x0 /* 1 var */) = 0",
    "1 close(10) = 0",
  ].join("\n")).text;
  assert.deepEqual(stepsByProc(t).other, [
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR|O_CLOEXEC) = 3', "dup(3) = 4", "close(4) = 0", "fcntl(3, F_DUPFD, 10) = 10",
    "close(3) = 0", "close(10) = 0",
  ]);
});

test("mappings are named, munmap and io_uring buffers use the names; an address inside one is a comment", () => {
  const t = imp(HEAD + [
    "1 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDWR) = 3",
    "1 mmap(0x7f0000000000, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_SYNC|MAP_SHARED_VALIDATE, 3, 0) = 0x7f0000000000",
    "1 io_uring_setup(4, {flags=0, sq_entries=4, ...}) = 4",
    "1 io_uring_register(4, IORING_REGISTER_BUFFERS, [{iov_base=0x7f0000001000, iov_len=4096}], 1) = 0",
    "1 io_uring_register(4, IORING_REGISTER_BUFFERS, [{iov_base=0x7f0000000000, iov_len=8192}], 1) = -1 EOPNOTSUPP (Operation not supported)",
    "1 io_uring_enter(4, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) = 1",
    "1 munmap(0x7f0000000000, 8192) = 0",
  ].join("\n")).text;
  assert.deepEqual(stepsByProc(t).prog, [
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR) = 3', "mmap(0x7f0000000000, 8192, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_SHARED_VALIDATE, 3, 0) = $m1",
    "io_uring_setup(4) = 4", "io_uring_register_buffers(4, $m1, 8192) = -1 EOPNOTSUPP", "munmap($m1, 8192) = 0",
  ]);
  assert.match(t, /# t\.strace:5 prog: io_uring_register\(.*-- the buffer starts inside \$m1, at \+4096/);
  assert.match(t, /# t\.strace:7 prog: io_uring_enter\(.*-- the model has no io_uring_enter/);
  assert.match(t, /note: MAP_SYNC is left out/);
});

test("pids become names: fork that shares a descriptor, kill, F_SETOWN, F_GETOWN; threads are their process", () => {
  const t = imp(HEAD + [
    "1 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDONLY) = 3",
    "1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x1) = 2",
    "1 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM, exit_signal=0}, 88) = 5",
    "5 fcntl(3, F_SETOWN, 2) = 0",
    "2 fcntl(3, F_GETOWN) = 2",
    "1 kill(2, SIGKILL) = 0",
    "2 +++ killed by SIGKILL +++",
  ].join("\n")).text;
  const s = stepsByProc(t);
  assert.deepEqual(s.prog, ['openat(AT_FDCWD, "/mnt/pmem/a", O_RDONLY) = 3', "fork() = prog_child", "fcntl(3, F_SETOWN, prog_child) = 0", "kill(prog_child, SIGKILL) = 0"]);
  assert.deepEqual(s.prog_child, ["fcntl(3, F_GETOWN) = prog_child", "+++ killed by SIGKILL +++"]);
  assert.doesNotMatch(t, /@proc prog_child/);
});

test("a signal ends the blocked call: EINTR when the process goes on, ? when it dies; an uncaught SIGIO means sig=default", () => {
  const t = imp([
    "1 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDONLY) = 3",
    "1 fcntl(3, F_SETLEASE, F_WRLCK) = 0",
    "2 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDWR <unfinished ...>",
    "1 fcntl(3, F_GETLEASE) = 0x2 (F_UNLCK)",
    "2 <... openat resumed>) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)",
    "2 --- SIGUSR1 {si_signo=SIGUSR1, si_code=SI_USER, si_pid=1, si_uid=0} ---",
    "2 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDWR <unfinished ...>",
    "1 --- SIGIO {si_signo=SIGIO, si_code=SI_KERNEL} ---",
    "1 +++ killed by SIGIO +++",
    "2 <... openat resumed>) = 3",
  ].join("\n")).text;
  const s = stepsByProc(t);
  assert.deepEqual(s.proc2, [
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR) ...', "<... openat resumed> = -1 EINTR", "--- SIGUSR1 {si_code=SI_USER} ---",
    'openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR) ...', "<... openat resumed> = 3",
  ]);
  assert.match(t, /^@proc proc sig=default/m);
});

test("files: existence and size from the log; --fs mounts, subdirectories refused; inferred mounts typed from this machine", () => {
  const t = imp([
    "1 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDWR) = 3",
    "1 newfstatat(3, \"\", {st_mode=S_IFREG|0600, st_size=12288, ...}, AT_EMPTY_PATH) = 0",
    "1 openat(AT_FDCWD, \"/mnt/pmem/new\", O_RDWR|O_CREAT|O_EXCL, 0644) = 4",
    "1 openat(AT_FDCWD, \"/mnt/pmem/sub/b\", O_RDONLY) = 5",
    "1 openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY) = 6",
  ].join("\n"), { fs: [{ path: "/mnt/pmem", type: "xfs", dax: "always" }] }).text;
  assert.match(t, /^@fs \/mnt\/pmem type=xfs dax=always size=64M/m);
  assert.match(t, /^@file \/mnt\/pmem\/a size=12288 mode=0600 /m);
  assert.doesNotMatch(t, /@file \/mnt\/pmem\/new/);
  assert.match(t, /sub\/b.*-- \/mnt\/pmem\/sub\/b: it is in a subdirectory of \/mnt\/pmem/);
  assert.doesNotMatch(t, /^proc: .*passwd/m);
  const inferred = imp("1 openat(AT_FDCWD, \"/data/x/f\", O_RDONLY) = 3\n1 openat(AT_FDCWD, \"/usr/lib/libc.so\", O_RDONLY) = 4\n", {
    hostMounts: [{ path: "/", type: "overlay", options: "rw" }, { path: "/data", type: "ext4", options: "rw,dax=always" }],
  }).text;
  assert.match(inferred, /^@fs \/data\/x type=ext4 dax=always size=64M  # inferred: ext4 dax=always on \/data here/m);
  assert.doesNotMatch(inferred, /^proc: .*libc/m);
});

test("relative paths resolve with -y's working directory; without it they are comments", () => {
  const withY = imp("1 openat(AT_FDCWD</mnt/pmem>, \"a\", O_RDONLY) = 3</mnt/pmem/a>\n").text;
  assert.match(withY, /^proc: openat\(AT_FDCWD, "\/mnt\/pmem\/a", O_RDONLY\) = 3/m);
  const without = imp("1 openat(AT_FDCWD, \"data/a\", O_RDONLY) = 3\n").text;
  assert.match(without, /the log does not say the working directory \(trace with -y\)/);
});

test("-ff: per-process logs merged by timestamp, a call that outlasted another process's step waits", () => {
  const parent: LogSource = { name: "trace.10", pid: 10, text: [
    "1700000100.000 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDONLY) = 3",
    "1700000100.001 fcntl(3, F_SETLEASE, F_RDLCK) = 0",
    "1700000100.003 --- SIGIO {si_signo=SIGIO, si_code=SI_KERNEL} ---",
    "1700000100.004 fcntl(3, F_SETLEASE, F_UNLCK) = 0",
  ].join("\n") };
  const child: LogSource = { name: "trace.11", pid: 11, text: [
    "1700000100.002 truncate(\"/mnt/pmem/a\", 0) = 0 <0.002500>",
    "1700000100.006 exit_group(0) = ?",
  ].join("\n") };
  const t = importStrace([child, parent], FS).text;
  const lines = t.split("\n").filter((l) => /^proc|^sleep/.test(l)).map((l) => l.replace(/\s+#.*$/, ""));
  assert.deepEqual(lines, [
    'proc: openat(AT_FDCWD, "/mnt/pmem/a", O_RDONLY) = 3', "proc: fcntl(3, F_SETLEASE, F_RDLCK) = 0",
    'proc2: truncate("/mnt/pmem/a", 0) ...', "proc: --- SIGIO {si_code=SI_KERNEL} ---", "proc: fcntl(3, F_SETLEASE, F_UNLCK) = 0",
    "proc2: <... truncate resumed> = 0", "proc2: exit(0)",
  ]);
  assert.equal(runs(t).ok, true);
});

test("what the parser would refuse becomes a comment, and the summary says so", () => {
  const t = imp("1 openat(AT_FDCWD, \"/mnt/pmem/a\", O_RDWR|O_TMPFILE) = 3\n1 close(3) = 0\n").text;
  assert.match(t, /^# \(left out: unknown open flag O_TMPFILE\) proc: openat/m);
  parseScenario(t, "x.scn");
});

test("--rename and given names: a log of the oracle's directories and agents reads as the script it ran", () => {
  const log = [
    "50 openat(AT_FDCWD, \"/var/tmp/daxlease-oracle-1-x/fs0/a\", O_RDWR) = 3",
    "50 clone(child_stack=NULL, flags=SIGCHLD, child_tidptr=0x1) = 51",
    "51 fcntl(3, F_SETLEASE, F_RDLCK) = 0",
  ].join("\n");
  const t = importStrace([{ name: "agents.strace", text: log }], {
    rename: [["/var/tmp/daxlease-oracle-1-x/fs0", "/mnt/pmem"]], fs: [{ path: "/mnt/pmem", type: "tmpfs", dax: "never" }], procNames: { 50: "A", 51: "B" },
  }).text;
  assert.deepEqual(stepsByProc(t), { A: ['openat(AT_FDCWD, "/mnt/pmem/a", O_RDWR) = 3', "fork() = B"], B: ["fcntl(3, F_SETLEASE, F_RDLCK) = 0"] });
});

test("the importer and replay import nothing Node-only (the playground runs them in a browser)", async () => {
  const { readFileSync } = await import("node:fs");
  const { dirname, resolve } = await import("node:path");
  const seen = new Set<string>();
  const bad: string[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(/^import [^;]*? from "([^"]+)";/gm)) {
      const spec = m[1]!;
      if (!spec.startsWith(".")) { bad.push(`${file}: ${spec}`); continue; }
      walk(resolve(dirname(file), spec));
    }
  };
  const dir = new URL("../src/import/", import.meta.url).pathname;
  walk(dir + "import.js");
  walk(dir + "replay.js");
  assert.deepEqual(bad, []);
  assert.ok(seen.size > 20, `${seen.size} modules`);
});
