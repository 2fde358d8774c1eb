// The scenario parser: what it accepts, and where it points when it does not.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseScenario } from "../src/scenario/parse.js";
import { ScriptError } from "../src/scenario/error.js";

const OK = `@scenario s\n@fs /mnt/t type=ext4\n@file /mnt/t/f size=10\n@proc A uid=1000\n`;

function errorOf(text: string): string {
  try {
    parseScenario(text, "x.scn");
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    return e.message;
  }
  assert.fail("no error");
}

test("steps, results, signals, status, cat lines and comments", () => {
  const sc = parseScenario(OK + `
A: open("/mnt/t/f", O_RDONLY|O_NONBLOCK) = -1 EWOULDBLOCK (Resource temporarily unavailable)  # a comment
A: fcntl(3, F_GETLEASE) = F_RDLCK
A: open("/mnt/t/f#x", O_RDONLY) ...
A: <... open resumed> = 3
A: --- SIGRTMIN+1 {si_code=POLL_MSG, si_fd=3}, SIGIO ---
A: +++ killed by SIGKILL +++
sleep 1.5s
A: cat("/proc/locks")
> 1: LEASE  ACTIVE    READ A /mnt/t/f 0 EOF
`, "x.scn");
  assert.equal(sc.steps.length, 8);
  const [s0, s1, s2, s3, s4, s5, s6, s7] = sc.steps;
  assert.deepEqual(s0!.k === "call" && s0.expect, { k: "value", text: "-1 EAGAIN" });
  assert.deepEqual(s1!.k === "call" && s1.expect, { k: "value", text: "F_RDLCK" });
  assert.ok(s2!.k === "call" && s2.args[0]!.k === "str" && s2.args[0]!.v === "/mnt/t/f#x");
  assert.deepEqual(s3!.k === "resumed" && s3.expect, { k: "value", text: "3" });
  assert.ok(s4!.k === "signals" && s4.expect !== "none" && s4.expect.length === 2 && s4.expect[0]!.fields.join() === "si_code,si_fd");
  assert.ok(s5!.k === "status" && s5.expect === "killed by SIGKILL");
  assert.ok(s6!.k === "sleep" && s6.ms === 1500);
  assert.deepEqual(s7!.k === "call" && s7.lines, ["1: LEASE ACTIVE READ A /mnt/t/f 0 EOF"]);
});

test("errors say FILE:LINE:COL and what is wrong", () => {
  assert.equal(errorOf(OK + `A: opne("/mnt/t/f", O_RDONLY)`), "x.scn:5:4: unknown call opne");
  assert.equal(errorOf(OK + `A: open("/mnt/t/f", O_RDONLY|O_BOGUS)`), "x.scn:5:30: unknown open flag O_BOGUS");
  assert.equal(errorOf(OK + `A: open("/elsewhere/f", O_RDONLY)`), "x.scn:5:9: /elsewhere/f is outside every @fs");
  assert.equal(errorOf(OK + `Z: close(3)`), "x.scn:5:1: unknown process Z (declare it with @proc or create it with fork)");
  assert.equal(errorOf(OK + `A: close(1000)`), "x.scn:5:10: descriptors 1000 and up are reserved");
  assert.equal(errorOf(OK + `A: open("/mnt/t/f", O_RDONLY) ...\nA: close(3)`), "x.scn:6:4: A makes a call while blocked in open (write <... open resumed> first)");
  assert.equal(errorOf(OK + `A: <... open resumed> = 3`), "x.scn:5:4: A has no call written with ... to resume");
  assert.equal(errorOf(OK + `A: close(3) = -1 EWHAT`), "x.scn:5:15: unknown errno EWHAT");
  assert.equal(errorOf(`@fs /mnt/t type=ext4\n@scenario s`), "x.scn:1:1: the first directive must be @scenario");
  assert.equal(errorOf(OK + `A: write(3, "ab", 5)`), "x.scn:5:19: the buffer holds 2 bytes, fewer than the count");
  assert.equal(errorOf(OK + `A: open("/mnt/t/f", O_RDONLY\n`), "x.scn:5:8: unbalanced parentheses");
  assert.equal(errorOf(`@scenario s\n@fs /mnt/t type=zfs`), "x.scn:2:17: type= is ext4, xfs or tmpfs");
  assert.equal(errorOf(OK + `> 1: LEASE`), "x.scn:5:1: a `>` line must follow a cat(...), lsof(...) or rdma(...) step");
});

test("fork names a new process that later steps may use", () => {
  const sc = parseScenario(OK + `A: fork() = K\nK: close(0) = 0`, "x.scn");
  assert.equal(sc.forks.K, "A");
  assert.match(errorOf(OK + `A: fork() = A`), /process A exists already/);
});

test("a result the call can never return is an error: a word, a string, a signal or process that does not fit", () => {
  assert.equal(errorOf(OK + `A: open("/mnt/t/f", O_RDONLY) = banana`), "x.scn:5:33: open returns a number, -1 ERRNO, $name or ?, not banana");
  assert.equal(errorOf(OK + `A: open("/mnt/t/f", O_RDONLY) = "abc"`), "x.scn:5:33: open does not return a string (only rdma_read does)");
  assert.equal(errorOf(OK + `A: fcntl(3, F_GETLEASE) = F_RDLOCK`), "x.scn:5:27: fcntl F_GETLEASE returns F_RDLCK, F_WRLCK, F_UNLCK or F_LAYOUT, not F_RDLOCK");
  assert.equal(errorOf(OK + `A: fcntl(3, F_GETSIG) = SIGFOO`), "x.scn:5:25: fcntl F_GETSIG returns 0 or a signal name, not SIGFOO");
  assert.equal(errorOf(OK + `A: fcntl(3, F_GETOWN) = B`), "x.scn:5:25: fcntl F_GETOWN returns 0 or a process name, not B");
  assert.equal(errorOf(OK + `A: open("/mnt/t/f", O_RDONLY) ...\nA: <... open resumed> = EAGAIN`), "x.scn:6:25: open returns a number, -1 ERRNO, $name or ?, not EAGAIN");
  // What each call can return is accepted.
  const sc = parseScenario(OK + `A: fcntl(3, F_GETLEASE) = F_LAYOUT|F_EXCLUSIVE\nA: fcntl(3, F_GETSIG) = SIGRTMIN+1\nA: fcntl(3, F_GETOWN) = A\nA: open("/mnt/t/f", O_RDONLY) = ?\n`, "x.scn");
  assert.equal(sc.steps.length, 4);
});

test("a $name no earlier step binds is an error where it is used; a binding on a resumed line counts", () => {
  assert.equal(errorOf(OK + `A: munmap($buf, 4096)`), "x.scn:5:11: $buf is bound by no earlier step (a call binds it: ... = $buf)");
  assert.equal(errorOf(OK + `A: munmap($m, 4096)\nA: mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0) = $m`), "x.scn:5:11: $m is bound by no earlier step (a call binds it: ... = $m)");
  const sc = parseScenario(OK + `A: open("/mnt/t/f", O_RDONLY) ...\nA: <... open resumed> = $fd\nA: munmap($fd, 4096)\n`, "x.scn");
  assert.equal(sc.steps.length, 3);
});
