// fs/locks.c rules, each checked on the model.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actuals, HDR } from "./helpers.js";

test("check_conflicting_open: a read lease needs no writer, the caller's own fd included", () => {
  assert.deepEqual(actuals(`H: open("/mnt/t/f", O_RDWR)\nH: fcntl(3, F_SETLEASE, F_RDLCK)`), ["3", "-1 EAGAIN"]);
  assert.deepEqual(actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)`), ["3", "0"]);
});

test("check_conflicting_open: a write lease needs the caller's fd to be the only opener", () => {
  assert.deepEqual(actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_WRLCK)`), ["3", "0"]);
  assert.deepEqual(
    actuals(`H: open("/mnt/t/f", O_RDONLY)\nB: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_WRLCK)`),
    ["3", "3", "-1 EAGAIN"]);
});

test("generic_setlease: EACCES for a non-owner without CAP_LEASE, before the type is looked at for F_UNLCK", () => {
  const hdr = `@fs /mnt/t type=ext4\n@file /mnt/t/f size=1\n@proc U uid=5\n@proc C uid=5 caps=CAP_LEASE\n`;
  assert.deepEqual(actuals(`U: open("/mnt/t/f", O_RDONLY)\nU: fcntl(3, F_SETLEASE, F_RDLCK)\nU: fcntl(3, F_SETLEASE, F_UNLCK)\nU: fcntl(3, F_SETLEASE, 7)`, hdr),
    ["3", "-1 EACCES", "-1 EACCES", "-1 EINVAL"]);
  assert.deepEqual(actuals(`C: open("/mnt/t/f", O_RDONLY)\nC: fcntl(3, F_SETLEASE, F_RDLCK)`, hdr), ["3", "0"]);
});

test("__break_lease: a read open downgrades a write lease, a write open unlocks it", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_WRLCK)\nB: open("/mnt/t/f", O_RDONLY|O_NONBLOCK)\nH: fcntl(3, F_GETLEASE)\nB: open("/mnt/t/f", O_WRONLY|O_NONBLOCK)\nH: fcntl(3, F_GETLEASE)`);
  assert.deepEqual(r, ["3", "0", "-1 EAGAIN", "F_RDLCK", "-1 EAGAIN", "F_UNLCK"]);
});

test("a blocking breaker sleeps until the holder unlocks, then completes", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY) ...\nH: fcntl(3, F_SETLEASE, F_UNLCK)\nB: <... open resumed>`);
  assert.deepEqual(r, ["3", "0", "...", "0", "3"]);
});

test("a blocking breaker that nobody releases waits out fs.lease-break-time in virtual time", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY) ...\nsleep 2s\nH: fcntl(3, F_GETLEASE)\nsleep 2s\nB: <... open resumed>\nH: fcntl(3, F_GETLEASE)`,
    HDR.replace("@fs", "@sysctl fs.lease-break-time=3\n@fs"));
  assert.deepEqual(r, ["3", "0", "...", null, "F_UNLCK", null, "3", "F_UNLCK"]);
});

test("time_out_leases is lazy: no breaker waiting, the lease stays BREAKING past its time", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY|O_NONBLOCK)\nsleep 5s\nH: cat("/proc/locks")\nH: fcntl(3, F_GETLEASE)\nH: cat("/proc/locks")`,
    HDR.replace("@fs", "@sysctl fs.lease-break-time=1\n@fs"));
  assert.equal(r[4], "1: LEASE BREAKING UNLCK H /mnt/t/f 0 EOF");
  assert.equal(r[5], "F_UNLCK");
  assert.equal(r[6], "");
});

test("lease_modify(F_UNLCK) clears the owner, the signal and O_ASYNC", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETSIG, SIGUSR2)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nH: fcntl(3, F_GETOWN)\nH: fcntl(3, F_SETLEASE, F_UNLCK)\nH: fcntl(3, F_GETOWN)\nH: fcntl(3, F_GETSIG)\nH: fcntl(3, F_GETFL)`);
  assert.deepEqual(r.slice(3), ["H", "0", "0", "0", "0x8000 (flags O_RDONLY|O_LARGEFILE)"]);
});

test("the lease goes at the last fput, not at close", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nH: fork() = K\nH: close(3)\nH: cat("/proc/locks")\nK: exit(0)\nH: cat("/proc/locks")`);
  assert.equal(r[4], "1: LEASE ACTIVE READ H /mnt/t/f 0 EOF");
  assert.equal(r[6], "");
});

test("the F_SETSIG signal carries si_fd; plain SIGIO is SI_KERNEL with si_fd 0", () => {
  const rt = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETSIG, SIGRTMIN+2)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY|O_NONBLOCK)\nH: --- SIGRTMIN+2 {si_code=POLL_MSG, si_fd=3, si_band=0x441} ---`);
  assert.equal(rt[4], "SIGRTMIN+2 {si_code=POLL_MSG, si_fd=3, si_band=0x441}");
  const io = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY|O_NONBLOCK)\nH: --- SIGIO {si_code=SI_KERNEL, si_fd=0} ---`);
  assert.equal(io[3], "SIGIO {si_code=SI_KERNEL, si_fd=0}");
});

test("/proc/locks nests a breaker that conflicts with one already queued", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_WRLCK)\nB: open("/mnt/t/f", O_RDONLY) ...\nC: open("/mnt/t/f", O_WRONLY) ...\nH: cat("/proc/locks")`, HDR + "@proc C uid=1000\n");
  assert.equal(r[4], ["1: LEASE BREAKING UNLCK H /mnt/t/f 0 EOF", "1: -> LEASE BREAKER READ B <none>:0 0 EOF", "1: -> LEASE BREAKER WRITE C <none>:0 0 EOF"].join("\n"));
});

test("a signal to a blocked breaker ends its wait with EINTR", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY) ...\nH: kill(B, SIGTERM)\nB: <... open resumed>\nB: --- SIGTERM ---`);
  assert.deepEqual(r.slice(2), ["...", "0", "-1 EINTR", "SIGTERM"]);
});

test("SIGKILL to a blocked breaker leaves its descriptor table empty and the break in place", () => {
  const r = actuals(`H: open("/mnt/t/f", O_RDONLY)\nH: fcntl(3, F_SETLEASE, F_RDLCK)\nB: open("/mnt/t/f", O_WRONLY) ...\nH: kill(B, SIGKILL)\nB: <... open resumed>\nB: +++ killed by SIGKILL +++\nH: fcntl(3, F_GETLEASE)`);
  assert.deepEqual(r.slice(3), ["0", "?", "killed by SIGKILL", "F_UNLCK"]);
});
