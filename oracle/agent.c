// daxlease oracle agent: performs real system calls on command, for src/oracle/.
//
//   agent keeper SOCKNAME ROOTDIR
//
// The keeper (spawned by the driver in a session of its own) confines the run:
// it unshares a mount, PID and IPC namespace and forks the namespace's init.
// The init mounts a tmpfs on ROOTDIR, the run's @fs mounts at their scenario
// paths under it, a read-only /proc and a /dev holding only null, then
// pivot_root()s into it: the agents' "/" is that tree and nothing else, so
// the kernel itself resolves "..", absolute paths and whatever else a script
// writes, inside the tree. On command the init forks one agent per scenario
// process; every agent, and every orphan of a scenario fork, stays its child,
// unreaped, so that a dead process keeps its exit status readable in
// /proc/PID/stat until the scenario ends. On `quit`, or when the driver dies
// (PDEATHSIG, keeper then init), the init exits, the kernel kills whatever is
// left in the PID namespace, and the mounts go with the mount namespace.
//
// Each agent holds fds 0, 1, 2 and a control socket on fd 1000 (connected to
// the driver's abstract unix socket SOCKNAME, which needs no path in the tree);
// scenario fds start at 3. One line per command, one line per reply:
// "R <ret> <hexdata|-> [signo,code,fd,band]...". Strings travel hex-encoded.
// Calls use syscall(2) directly, so the reply is the kernel's own return value
// (negative: -errno), with no libc rewriting (glibc's fcntl would turn F_GETOWN
// into F_GETOWN_EX, for one).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/loop.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CTL 1000
/* This agent's control socket: CTL, or for a clone(CLONE_FILES) child, which shares its
   parent's table, the lowest free descriptor from CTL + 10 (resume: argv). */
static int ctl = CTL;
#define MAXLINE (1 << 22)

static const char *sock_name; /* abstract: sun_path is a NUL, then this */
/* This agent's scenario process and whether it runs with sig=default: what an execve
   hands to the new image ("agent resume NAME SIGDEFAULT"). */
static char my_name[64];
static int my_sigdefault;

/* ---- the signal ring: written only by the handler, read only by the main loop ---- */

#define RING 1024
struct rec { int signo, code, fd; long band; };
static struct rec ring[RING];
static unsigned ring_w, ring_r, ring_lost; /* accessed with __atomic builtins */

static void on_signal(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  /* sa_mask blocks every signal while a handler runs: one producer at a time. */
  unsigned w = __atomic_load_n(&ring_w, __ATOMIC_RELAXED);
  unsigned r = __atomic_load_n(&ring_r, __ATOMIC_ACQUIRE);
  if (w - r >= RING) { __atomic_add_fetch(&ring_lost, 1, __ATOMIC_RELAXED); return; }
  struct rec *e = &ring[w % RING];
  e->signo = sig;
  e->code = si->si_code;
  e->fd = si->si_fd;
  e->band = si->si_band;
  __atomic_store_n(&ring_w, w + 1, __ATOMIC_RELEASE);
}

/* Every catchable signal whose default action is not "ignore" (kernel/signal.c
 * SIG_KERNEL_IGNORE_MASK), without SA_RESTART: a blocked call ends with EINTR. */
static int install_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigfillset(&sa.sa_mask);
  for (int s = 1; s <= 64; s++) {
    if (s == SIGKILL || s == SIGSTOP || s == SIGCHLD || s == SIGCONT || s == SIGURG || s == SIGWINCH) continue;
    if (s == 32 || s == 33) continue; /* glibc's own; SIGRTMIN is 34 */
    if (sigaction(s, &sa, NULL) != 0) return -1;
  }
  return 0;
}

static void reset_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s <= 64; s++) if (s != SIGKILL && s != SIGSTOP) sigaction(s, &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* ---- I/O on the control socket ---- */

/* Where start-up errors go: the driver's stderr pipe, kept on a reserved fd until
 * the agent greets (fds 0, 1 and 2 are then /dev/null). */
static int diag = 2;

static void die(const char *what) {
  dprintf(diag, "agent %d: %s: %s\n", getpid(), what, strerror(errno));
  _exit(120);
}

/* fds 0, 1 and 2 as a terminal would be: open read-write (F_GETFL 0x8002). */
static void null_stdio(void) {
  diag = dup2(2, CTL + 1);
  int n = open("/dev/null", O_RDWR);
  if (n < 0) die("/dev/null");
  for (int fd = 0; fd < 3; fd++) if (n != fd && dup2(n, fd) < 0) die("dup2");
  if (n > 2) close(n);
}

static int put_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t k = write(fd, p, n);
    if (k < 0) { if (errno == EINTR) continue; return -1; }
    p += k; n -= (size_t)k;
  }
  return 0;
}

static char *inbuf;
static size_t in_len;

/* Reads one line (without the newline) into a malloc'd string; NULL at EOF. */
static char *get_line(int fd) {
  if (!inbuf) inbuf = malloc(MAXLINE);
  for (;;) {
    char *nl = memchr(inbuf, '\n', in_len);
    if (nl) {
      size_t n = (size_t)(nl - inbuf);
      char *out = malloc(n + 1);
      memcpy(out, inbuf, n);
      out[n] = 0;
      memmove(inbuf, nl + 1, in_len - n - 1);
      in_len -= n + 1;
      return out;
    }
    if (in_len == MAXLINE) return NULL;
    ssize_t k = read(fd, inbuf + in_len, MAXLINE - in_len);
    if (k < 0 && errno == EINTR) continue; /* a caught signal: the handler has recorded it */
    if (k <= 0) return NULL;
    in_len += (size_t)k;
  }
}

static const char HEX[] = "0123456789abcdef";

static int unhex(const char *h, char **out, size_t *len) {
  if (strcmp(h, "-") == 0) { *out = calloc(1, 1); *len = 0; return 0; }
  size_t n = strlen(h) / 2;
  char *b = malloc(n + 1);
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    if (sscanf(h + 2 * i, "%2x", &v) != 1) { free(b); return -1; }
    b[i] = (char)v;
  }
  b[n] = 0;
  *out = b;
  *len = n;
  return 0;
}

/* A zeroed buffer for read and write, page-aligned as an O_DIRECT program's would be
   (iomap's DIO checks the memory's alignment too, and malloc's is arbitrary). */
static char *iobuf(size_t n) {
  size_t sz = (n + 1 + 4095) & ~(size_t)4095;
  char *b = aligned_alloc(4096, sz);
  memset(b, 0, sz);
  return b;
}

static long sys_ret(long r) { return r == -1 ? -errno : r; }

/* Enough of liburing to submit one fixed-buffer read or write and wait for its completion.
   The rings are mapped for that one operation only: a mapping holds the ring's file, and a
   ring whose fd was closed must go (with its pinned buffers) as the model says. The layout
   of a ring's mappings depends only on its sizes, which /proc/self/fdinfo tells; a
   throwaway ring of the same sizes gives the offsets. Any fd naming a ring works: a dup,
   one inherited across fork. */
static unsigned fdinfo_hex(int fd, const char *key) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return 0;
  ssize_t n = read(f, buf, sizeof buf - 1);
  close(f);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *at = strstr(buf, key);
  return at ? (unsigned)strtoul(at + strlen(key), NULL, 0) : 0;
}

static long ring_rw(int ringfd, int opcode, int fd, unsigned long addr, unsigned len, long long off) {
  /* io_uring_enter's own answer for a bad or non-io_uring fd (EBADF, EOPNOTSUPP). */
  if (syscall(SYS_io_uring_enter, ringfd, 0, 0, 0, NULL, 0) < 0) return -errno;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_CQSIZE;
  p.cq_entries = fdinfo_hex(ringfd, "CqMask:") + 1;
  int t = (int)syscall(SYS_io_uring_setup, fdinfo_hex(ringfd, "SqMask:") + 1, &p);
  if (t < 0) return -errno;
  close(t);
  size_t sqsz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cqsz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  size_t esz = p.sq_entries * sizeof(struct io_uring_sqe);
  int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && cqsz > sqsz) sqsz = cqsz;
  char *sq = mmap(NULL, sqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ringfd, IORING_OFF_SQ_RING);
  char *cq = single ? sq : mmap(NULL, cqsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ringfd, IORING_OFF_CQ_RING);
  struct io_uring_sqe *sqes = mmap(NULL, esz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ringfd, IORING_OFF_SQES);
  long res = -EIO; /* the agent could not map the ring: not a kernel answer, and never expected */
  if (sq != MAP_FAILED && cq != MAP_FAILED && sqes != MAP_FAILED) {
    unsigned *sq_tail = (unsigned *)(sq + p.sq_off.tail), *sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    unsigned *sq_array = (unsigned *)(sq + p.sq_off.array);
    unsigned *cq_head = (unsigned *)(cq + p.cq_off.head), *cq_tail = (unsigned *)(cq + p.cq_off.tail);
    unsigned *cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    unsigned tail = *sq_tail, idx = tail & *sq_mask;
    struct io_uring_sqe *sqe = &sqes[idx];
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = (unsigned char)opcode;
    sqe->fd = fd;
    sqe->addr = addr;
    sqe->len = len;
    sqe->off = (unsigned long long)off;
    sqe->buf_index = 0;
    sq_array[idx] = idx;
    __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
    /* Once the SQE is submitted, a signal does not fail the enter: it returns the count. */
    long e = syscall(SYS_io_uring_enter, ringfd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
    if (e < 0) res = -errno;
    else if (e == 0) res = -EIO;
    else {
      unsigned head = *cq_head;
      while (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) == head) /* interrupted: wait on */
        if (syscall(SYS_io_uring_enter, ringfd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR) break;
      if (__atomic_load_n(cq_tail, __ATOMIC_ACQUIRE) != head) {
        res = cqes[head & *cq_mask].res;
        __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
      }
    }
  }
  if (sqes != MAP_FAILED) munmap(sqes, esz);
  if (!single && cq != MAP_FAILED) munmap(cq, cqsz);
  if (sq != MAP_FAILED) munmap(sq, sqsz);
  return res;
}

/* Replies with a result, the bytes read (if any), and the signals recorded since the last reply. */
static void reply(long ret, const char *data, size_t dlen) {
  size_t cap = 64 + 2 * dlen + 64 * RING;
  char *b = malloc(cap);
  size_t n = (size_t)snprintf(b, cap, "R %ld ", ret);
  if (data == NULL || dlen == 0) b[n++] = '-';
  for (size_t i = 0; data && i < dlen; i++) {
    b[n++] = HEX[(unsigned char)data[i] >> 4];
    b[n++] = HEX[(unsigned char)data[i] & 15];
  }
  unsigned w = __atomic_load_n(&ring_w, __ATOMIC_ACQUIRE);
  unsigned r = __atomic_load_n(&ring_r, __ATOMIC_RELAXED);
  for (; r != w; r++) {
    struct rec *e = &ring[r % RING];
    n += (size_t)snprintf(b + n, cap - n, " %d,%d,%d,%ld", e->signo, e->code, e->fd, e->band);
  }
  __atomic_store_n(&ring_r, r, __ATOMIC_RELEASE);
  unsigned lost = __atomic_exchange_n(&ring_lost, 0, __ATOMIC_RELAXED);
  if (lost) n += (size_t)snprintf(b + n, cap - n, " L%u", lost);
  b[n++] = '\n';
  if (put_all(ctl, b, n) != 0) _exit(121);
  free(b);
}

/* Connects a fresh control socket and moves it to fd 1000, leaving every other fd as it was. */
static int open_ctl(void);
/* A clone(CLONE_FILES) child: its own control socket on a reserved fd of the shared table
   (the lowest free from CTL + 10), the parent's left alone. */
static void connect_shared_ctl(void) {
  int s = open_ctl();
  ctl = fcntl(s, F_DUPFD, CTL + 10);
  if (ctl < 0) die("F_DUPFD");
  close(s);
}

static void connect_ctl(void) {
  int s = open_ctl();
  if (s != CTL) {
    if (dup2(s, CTL) < 0) die("dup2");
    close(s);
  }
  ctl = CTL;
}

/* A socket connected to the driver. */
static int open_ctl(void) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) die("socket");
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  size_t n = strlen(sock_name);
  if (n + 1 > sizeof a.sun_path) { errno = ENAMETOOLONG; die("socket name"); }
  memcpy(a.sun_path + 1, sock_name, n);
  /* Node (libuv) binds the name padded with NULs to the whole sun_path; a binder that
     gives the exact length makes another name. Either will do. */
  socklen_t lens[2] = { (socklen_t)sizeof a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n) };
  for (int i = 0; ; ) {
    if (connect(s, (struct sockaddr *)&a, lens[i]) == 0) break;
    if (errno == EINTR) continue;
    if (errno != ECONNREFUSED || ++i == 2) die("connect");
  }
  return s;
}

/* ---- credentials ---- */

static void drop_to(unsigned uid, unsigned gid, uint64_t caps) {
  if (setgroups(0, NULL) != 0) die("setgroups");
  if (setresgid(gid, gid, gid) != 0) die("setresgid");
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) die("keepcaps");
  if (setresuid(uid, uid, uid) != 0) die("setresuid");
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capget, &h, d) != 0) die("capget");
  uint32_t lo = (uint32_t)caps & d[0].permitted, hi = (uint32_t)(caps >> 32) & d[1].permitted;
  d[0].effective = d[0].permitted = lo;
  d[1].effective = d[1].permitted = hi;
  d[0].inheritable = d[1].inheritable = 0;
  if (syscall(SYS_capset, &h, d) != 0) die("capset");
  prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  /* Credential changes make a process non-dumpable; the driver reads its /proc files as root anyway. */
  prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

/* ---- the agent's command loop ---- */


static void hello(const char *name) {
  char b[128];
  int n = snprintf(b, sizeof b, "H %s %d\n", name, getpid());
  if (put_all(ctl, b, (size_t)n) != 0) _exit(121);
}

static void agent_loop(void);

/* Splits a command line into at most 8 tokens. */
static int split(char *s, char **tok) {
  int n = 0;
  for (char *p = strtok(s, " "); p && n < 8; p = strtok(NULL, " ")) tok[n++] = p;
  return n;
}

#define L(i) strtol(tok[i], NULL, 0)
#define UL(i) strtoul(tok[i], NULL, 0)

static void run_command(char *line) {
  char *tok[8];
  int nt = split(line, tok);
  if (nt == 0) { reply(-EINVAL, NULL, 0); return; }
  const char *op = tok[0];
  char *s1 = NULL, *s2 = NULL;
  size_t l1 = 0, l2 = 0;
  long r;

  if (strcmp(op, "sigs") == 0) { reply(0, NULL, 0); return; }
  if (strcmp(op, "open") == 0) { /* open HEXPATH FLAGS MODE */
    unhex(tok[1], &s1, &l1);
    r = sys_ret(syscall(SYS_open, s1, L(2), L(3)));
  } else if (strcmp(op, "openat") == 0) { /* openat DIRFD HEXPATH FLAGS MODE */
    unhex(tok[2], &s1, &l1);
    r = sys_ret(syscall(SYS_openat, (int)L(1), s1, L(3), L(4)));
  } else if (strcmp(op, "close") == 0) {
    r = sys_ret(syscall(SYS_close, L(1)));
  } else if (strcmp(op, "dup") == 0) {
    r = sys_ret(syscall(SYS_dup, L(1)));
  } else if (strcmp(op, "dup2") == 0) {
    r = sys_ret(syscall(SYS_dup2, L(1), L(2)));
  } else if (strcmp(op, "fork") == 0) { /* fork CHILDNAME */
    pid_t p = fork();
    if (p == 0) {
      /* The child: its own control socket; the parent's records are not its own. */
      close(CTL);
      connect_ctl();
      __atomic_store_n(&ring_r, __atomic_load_n(&ring_w, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
      in_len = 0;
      snprintf(my_name, sizeof my_name, "%s", tok[1]);
      hello(tok[1]);
      agent_loop();
      _exit(0);
    }
    r = p < 0 ? -errno : p;
  } else if (strcmp(op, "clone") == 0) { /* clone FLAGS CHILDNAME: CLONE_FILES and SIGCHLD only, no new stack */
    long flags = L(1);
    pid_t p = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
    if (p == 0) {
      if (flags & CLONE_FILES) connect_shared_ctl();
      else { close(CTL); connect_ctl(); }
      __atomic_store_n(&ring_r, __atomic_load_n(&ring_w, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
      in_len = 0;
      snprintf(my_name, sizeof my_name, "%s", tok[2]);
      hello(tok[2]);
      agent_loop();
      _exit(0);
    }
    r = p < 0 ? -errno : p;
  } else if (strcmp(op, "exit") == 0) {
    reply(0, NULL, 0); /* hands over the signals caught so far; then no answer */
    syscall(SYS_exit_group, L(1));
    r = -ENOSYS;
  } else if (strcmp(op, "kill") == 0) {
    r = sys_ret(syscall(SYS_kill, L(1), L(2)));
  } else if (strcmp(op, "read") == 0 || strcmp(op, "pread") == 0) { /* read FD N ADDR [OFF] */
    size_t n = UL(2);
    unsigned long addr = UL(3);
    char *buf = addr ? (char *)addr : iobuf(n);
    r = op[0] == 'r' ? sys_ret(syscall(SYS_read, L(1), buf, n))
                     : sys_ret(syscall(SYS_pread64, L(1), buf, n, L(4)));
    reply(r, addr ? NULL : buf, !addr && r > 0 ? (size_t)r : 0);
    if (!addr) free(buf);
    return;
  } else if (strcmp(op, "write") == 0 || strcmp(op, "pwrite") == 0) { /* write FD N HEXDATA ADDR [OFF] */
    size_t n = UL(2);
    unsigned long addr = UL(4);
    unhex(tok[3], &s1, &l1);
    char *buf = (char *)addr;
    if (!addr) { /* a count beyond the string reads the zeros after it */
      buf = iobuf(n);
      memcpy(buf, s1, l1 < n ? l1 : n);
    }
    r = op[0] == 'w' ? sys_ret(syscall(SYS_write, L(1), buf, n))
                     : sys_ret(syscall(SYS_pwrite64, L(1), buf, n, L(5)));
    if (!addr) free(buf);
  } else if (strcmp(op, "truncate") == 0) {
    unhex(tok[1], &s1, &l1);
    r = sys_ret(syscall(SYS_truncate, s1, L(2)));
  } else if (strcmp(op, "ftruncate") == 0) {
    r = sys_ret(syscall(SYS_ftruncate, L(1), L(2)));
  } else if (strcmp(op, "fallocate") == 0) {
    r = sys_ret(syscall(SYS_fallocate, L(1), L(2), L(3), L(4)));
  } else if (strcmp(op, "fsync") == 0) {
    r = sys_ret(syscall(SYS_fsync, L(1)));
  } else if (strcmp(op, "unlink") == 0) {
    unhex(tok[1], &s1, &l1);
    r = sys_ret(syscall(SYS_unlink, s1));
  } else if (strcmp(op, "rename") == 0) {
    unhex(tok[1], &s1, &l1);
    unhex(tok[2], &s2, &l2);
    r = sys_ret(syscall(SYS_rename, s1, s2));
  } else if (strcmp(op, "mmap") == 0) { /* mmap ADDR LEN PROT FLAGS FD OFF */
    r = syscall(SYS_mmap, UL(1), UL(2), L(3), L(4), L(5), L(6));
    if (r == -1) r = -errno;
  } else if (strcmp(op, "munmap") == 0) {
    r = sys_ret(syscall(SYS_munmap, UL(1), UL(2)));
  } else if (strcmp(op, "fcntl") == 0) { /* fcntl FD CMD ARG */
    r = sys_ret(syscall(SYS_fcntl, L(1), L(2), L(3)));
  } else if (strcmp(op, "ioctl") == 0) { /* ioctl FD CMD ARG (FICLONE: ARG is the source fd) */
    r = sys_ret(syscall(SYS_ioctl, L(1), UL(2), L(3)));
  } else if (strcmp(op, "io_uring_setup") == 0) { /* io_uring_setup ENTRIES */
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    r = sys_ret(syscall(SYS_io_uring_setup, L(1), &p));
  } else if (strcmp(op, "io_uring_register_buffers") == 0) { /* FD ADDR LEN: one fixed buffer (io_uring/rsrc.c) */
    struct iovec iov = { (void *)UL(2), (size_t)UL(3) };
    r = sys_ret(syscall(SYS_io_uring_register, L(1), IORING_REGISTER_BUFFERS, &iov, 1));
  } else if (strcmp(op, "io_uring_unregister_buffers") == 0) {
    r = sys_ret(syscall(SYS_io_uring_register, L(1), IORING_UNREGISTER_BUFFERS, NULL, 0));
  } else if (strcmp(op, "io_uring_read_fixed") == 0 || strcmp(op, "io_uring_write_fixed") == 0) { /* RING FD ADDR LEN OFF */
    r = ring_rw((int)L(1), op[9] == 'r' ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED, (int)L(2), UL(3), (unsigned)UL(4), L(5));
  } else if (strcmp(op, "execve") == 0) {
    /* The agent's own program again, through /proc/self/exe (the binary is static: the run's
       tree has no ELF interpreter). The new image answers for this call (main: resume);
       control socket on 1000, not close-on-exec, carries over. Only a failure returns. */
    extern char **environ;
    char cfd[16];
    snprintf(cfd, sizeof cfd, "%d", ctl);
    char *nargv[] = { "agent", "resume", my_name, my_sigdefault ? "1" : "0", cfd, (char *)sock_name, NULL };
    r = sys_ret(syscall(SYS_execve, "/proc/self/exe", nargv, environ));
  } else if (strcmp(op, "pidfd_open") == 0) { /* pidfd_open PID FLAGS */
    r = sys_ret(syscall(SYS_pidfd_open, L(1), L(2)));
  } else if (strcmp(op, "pidfd_getfd") == 0) { /* pidfd_getfd PIDFD FD FLAGS */
    r = sys_ret(syscall(SYS_pidfd_getfd, L(1), L(2), L(3)));
  } else if (strcmp(op, "socketpair") == 0) { /* socketpair FAMILY TYPE PROTOCOL: replies "FD,FD" */
    int sv[2];
    r = sys_ret(syscall(SYS_socketpair, L(1), L(2), L(3), sv));
    char b[32];
    int n = r == 0 ? snprintf(b, sizeof b, "%d,%d", sv[0], sv[1]) : 0;
    reply(r, b, (size_t)n);
    return;
  } else if (strcmp(op, "sendmsg") == 0) { /* sendmsg FD HEXDATA FDS|- FLAGS: FDS "3,4" or "," for none */
    unhex(tok[2], &s1, &l1);
    int fds[256], nfd = 0;
    for (char *p = tok[3]; strcmp(tok[3], "-") != 0 && *p && nfd < 256; ) {
      if (*p == ',') { p++; continue; }
      fds[nfd++] = (int)strtol(p, &p, 10);
    }
    union { char buf[CMSG_SPACE(sizeof fds)]; struct cmsghdr align; } u;
    struct iovec iov = { s1, l1 };
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (strcmp(tok[3], "-") != 0) {
      memset(&u, 0, sizeof u);
      mh.msg_control = u.buf;
      mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
      struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(nfd * sizeof(int));
      memcpy(CMSG_DATA(c), fds, nfd * sizeof(int));
    }
    r = sys_ret(syscall(SYS_sendmsg, L(1), &mh, L(4)));
  } else if (strcmp(op, "recvmsg") == 0) { /* recvmsg FD SIZE FLAGS CONTROL: replies "FD,...;BYTES" */
    size_t n = UL(2);
    char *buf = iobuf(n);
    union { char buf[CMSG_SPACE(253 * sizeof(int))]; struct cmsghdr align; } u; /* SCM_MAX_FD */
    struct iovec iov = { buf, n };
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (L(4)) { mh.msg_control = u.buf; mh.msg_controllen = sizeof u.buf; }
    r = sys_ret(syscall(SYS_recvmsg, L(1), &mh, L(3)));
    char *out = malloc(16 * 253 + n + 2);
    size_t o = 0;
    if (r >= 0 && mh.msg_controllen > 0)
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int *fd = (int *)CMSG_DATA(c);
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
          o += (size_t)sprintf(out + o, "%s%d", o ? "," : "", fd[i]);
      }
    out[o++] = ';';
    if (r > 0) { memcpy(out + o, buf, (size_t)r); o += (size_t)r; }
    reply(r, out, r >= 0 ? o : 0);
    free(out);
    free(buf);
    return;
  } else {
    r = -ENOSYS;
  }
  free(s1);
  free(s2);
  reply(r, NULL, 0);
}

static void agent_loop(void) {
  for (;;) {
    char *line = get_line(ctl);
    if (line == NULL) _exit(0); /* the driver is gone */
    run_command(line);
    free(line);
  }
}

/* ---- the run's tree: its own mount namespace, with only what the scenario declares ---- */

static const char *root_dir; /* where the tree is built, before pivot_root */
static int pivoted;

/* mkdir -p of root_dir + path, each new directory 0755 (the init's umask is 0). */
static int make_dirs(const char *path, char *full, size_t cap) {
  if ((size_t)snprintf(full, cap, "%s%s", root_dir, path) >= cap) return -ENAMETOOLONG;
  for (char *p = full + strlen(root_dir) + 1; ; p++) {
    if (*p != '/' && *p != 0) continue;
    char c = *p;
    *p = 0;
    if (mkdir(full, 0755) != 0 && errno != EEXIST) return -errno;
    *p = c;
    if (c == 0) return 0;
  }
}

/* The mount root as the contract has it: root's, 0755. */
static long own_root(const char *full) {
  if (chown(full, 0, 0) != 0 || chmod(full, 0755) != 0) return -errno;
  return 0;
}

/* tmpfs PATH SIZE */
static long mount_tmpfs(const char *path, const char *size) {
  char full[4096], opts[128];
  long r = make_dirs(path, full, sizeof full);
  if (r != 0) return r;
  snprintf(opts, sizeof opts, "size=%s,mode=0755,uid=0,gid=0", size);
  if (mount("daxlease", full, "tmpfs", 0, opts) != 0) return -errno;
  return own_root(full);
}

/* loop PATH FSTYPE IMAGE: what mount -o loop does, with LO_FLAGS_AUTOCLEAR, so that the
   loop device goes when the mount does (with this namespace, whatever ends the run). */
static long mount_loop(const char *path, const char *type, const char *img) {
  char full[4096], dev[64];
  long r = make_dirs(path, full, sizeof full);
  if (r != 0) return r;
  int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0) return -errno;
  int ifd = open(img, O_RDWR | O_CLOEXEC);
  if (ifd < 0) { r = -errno; close(ctl); return r; }
  int lfd = -1;
  r = -EBUSY;
  for (int tries = 0; tries < 64 && lfd < 0; tries++) {
    long n = ioctl(ctl, LOOP_CTL_GET_FREE);
    if (n < 0) { r = -errno; break; }
    snprintf(dev, sizeof dev, "/dev/loop%ld", n);
    int fd = open(dev, O_RDWR | O_CLOEXEC);
    if (fd < 0) { r = -errno; break; }
    struct loop_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.fd = (unsigned)ifd;
    cfg.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    strncpy((char *)cfg.info.lo_file_name, img, LO_NAME_SIZE - 1);
    if (ioctl(fd, LOOP_CONFIGURE, &cfg) == 0) lfd = fd;
    else { r = -errno; close(fd); if (r != -EBUSY) break; } /* EBUSY: another taker won the race */
  }
  close(ifd);
  close(ctl);
  if (lfd < 0) return r;
  r = mount(dev, full, type, 0, NULL) == 0 ? own_root(full) : -errno;
  close(lfd); /* the mount holds the device now; without it, autoclear detaches it */
  return r;
}

/* root: /proc (read-only: nothing in the tree writes the machine's sysctls), /dev/null,
   then pivot_root into the tree and drop the old root from the namespace. */
static long enter_tree(void) {
  char full[4096];
  long r = make_dirs("/proc", full, sizeof full);
  if (r != 0) return r;
  if (mount("proc", full, "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) return -errno;
  if ((r = make_dirs("/dev", full, sizeof full)) != 0) return r;
  strncat(full, "/null", sizeof full - strlen(full) - 1);
  if (mknod(full, S_IFCHR | 0666, makedev(1, 3)) != 0) return -errno;
  if (chdir(root_dir) != 0) return -errno;
  /* pivot_root(".", "."): the old root ends up on top of the new one, and goes lazily. */
  if (syscall(SYS_pivot_root, ".", ".") == 0) {
    if (umount2(".", MNT_DETACH) != 0) return -errno;
  } else if (chroot(".") != 0) /* a root that cannot be pivoted (an initramfs): chroot, with no agent able to leave it */
    return -errno;
  if (chdir("/") != 0) return -errno;
  pivoted = 1;
  return 0;
}

/* ---- the namespace's init: sets the tree up, forks the agents ---- */

static volatile pid_t group; /* the agents' process group */

static void init_quit(void) {
  /* Every other process of the PID namespace (the init's exit would kill them too). */
  kill(-1, SIGKILL);
  alarm(10);
  int st;
  while (waitpid(-1, &st, __WALL) > 0 || errno == EINTR) {}
  _exit(0);
}

/* All agents on one CPU: /proc/locks lists each CPU's locks newest first, CPU by
 * CPU (fs/locks.c locks_insert_global_locks adds to this_cpu_ptr(&file_lock_list)),
 * so only on one CPU is its order the order in which leases were taken. */
static void pin_one_cpu(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) die("sched_getaffinity");
  for (int c = 0; c < CPU_SETSIZE; c++) {
    if (!CPU_ISSET(c, &set)) continue;
    CPU_ZERO(&set);
    CPU_SET(c, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");
    return;
  }
}

static void spawn_agent(char **tok) {
  /* spawn NAME UID GID CAPSHEX SIGDEFAULT UMASK */
  if (setpgid(0, group > 0 ? group : 0) != 0) die("setpgid");
  reset_signals();
  prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  close(CTL);
  connect_ctl();
  /* Exactly fds 0, 1, 2 and the control socket. */
  syscall(SYS_close_range, 3, CTL - 1, 0);
  syscall(SYS_close_range, CTL + 1, ~0U, 0);
  null_stdio();
  umask((mode_t)strtoul(tok[6], NULL, 8));
  /* The model's descriptor limit is a fresh login's soft RLIMIT_NOFILE (1024), whatever the driver inherited. */
  {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) { rl.rlim_cur = 1024; if (rl.rlim_max < 1024) rl.rlim_cur = rl.rlim_max; setrlimit(RLIMIT_NOFILE, &rl); }
  }
  if (chdir("/") != 0) die("chdir");
  drop_to((unsigned)strtoul(tok[2], NULL, 10), (unsigned)strtoul(tok[3], NULL, 10), strtoull(tok[4], NULL, 16));
  snprintf(my_name, sizeof my_name, "%s", tok[1]);
  my_sigdefault = strcmp(tok[5], "1") == 0;
  if (!my_sigdefault && install_handlers() != 0) die("sigaction");
  in_len = 0;
  close(diag);
  diag = 2;
  hello(tok[1]);
  agent_loop();
  _exit(0);
}

static void ns_init(int guard) {
  /* Dies with the keeper; the keeper dies with the driver. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("pdeathsig");
  struct pollfd pf = { guard, 0, 0 };
  if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR))) _exit(1); /* the keeper died before the prctl */
  /* This /proc is still the machine's: it names us by our pid out there, which the driver
     needs to reach the tree (/proc/PID/root). */
  char self[32];
  ssize_t sn = readlink("/proc/self", self, sizeof self - 1);
  if (sn <= 0) die("readlink /proc/self");
  self[sn] = 0;
  if (mount("daxlease-root", root_dir, "tmpfs", 0, "size=1m,mode=0755,uid=0,gid=0") != 0) die("mount the tree's root");
  connect_ctl();
  char b[64];
  int n = snprintf(b, sizeof b, "K %s\n", self);
  put_all(CTL, b, (size_t)n);
  for (;;) {
    char *line = get_line(CTL);
    if (line == NULL) init_quit();
    char *tok[8];
    int nt = split(line, tok);
    long r = -EINVAL;
    if (nt == 1 && strcmp(tok[0], "quit") == 0) init_quit();
    if (nt == 3 && strcmp(tok[0], "tmpfs") == 0 && !pivoted) r = mount_tmpfs(tok[1], tok[2]);
    else if (nt == 4 && strcmp(tok[0], "loop") == 0 && !pivoted) r = mount_loop(tok[1], tok[2], tok[3]);
    else if (nt == 1 && strcmp(tok[0], "root") == 0 && !pivoted) r = enter_tree();
    else if (nt == 7 && strcmp(tok[0], "spawn") == 0 && pivoted) {
      pid_t p = fork();
      if (p == 0) spawn_agent(tok);
      if (p > 0) {
        setpgid(p, group > 0 ? group : p); /* also done by the child: whichever runs first */
        if (group == 0) group = p;
      }
      r = p > 0 ? p : -errno;
    }
    n = snprintf(b, sizeof b, "R %ld\n", r);
    put_all(CTL, b, (size_t)n);
    free(line);
  }
}

/* ---- the keeper: outside the PID namespace, the parent of its init ---- */

static void keeper(void) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) die("pdeathsig");
  if (getppid() == 1) _exit(1); /* the driver died before the prctl */
  pin_one_cpu();
  umask(0);
  /* A mount namespace for the tree, a PID namespace so that scenario processes can signal
     (kill, F_SETOWN) only each other and die with the init, an IPC namespace for free.
     No network namespace: its teardown is slow, and the control socket lives there. */
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC) != 0) die("unshare");
  /* Nothing mounted here may propagate back to the machine. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) die("make / private");
  int guard[2];
  if (pipe2(guard, O_CLOEXEC) != 0) die("pipe");
  pid_t init = fork();
  if (init < 0) die("fork");
  if (init == 0) {
    close(guard[1]);
    ns_init(guard[0]);
  }
  close(guard[0]);
  int st;
  while (waitpid(init, &st, 0) < 0 && errno == EINTR) {}
  _exit(0);
}

int main(int argc, char **argv) {
  if ((argc != 4 || strcmp(argv[1], "keeper") != 0) && (argc != 6 || strcmp(argv[1], "resume") != 0)) {
    fprintf(stderr, "usage: agent keeper SOCKNAME ROOTDIR\n");
    return 2;
  }
  /* No address-space randomisation: mmap addresses repeat from run to run. */
  int pers = personality(0xffffffff);
  if (pers != -1 && !(pers & ADDR_NO_RANDOMIZE)) {
    personality((unsigned long)pers | ADDR_NO_RANDOMIZE);
    char self[4096]; /* by its real path, so that the process is still called "agent" */
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
      self[n] = 0;
      execv(self, argv);
    }
  }
  if (argc == 6 && strcmp(argv[1], "resume") == 0) {
    ctl = atoi(argv[4]);
    sock_name = argv[5];
    /* After a scenario execve: the same process, a new image. Handlers again (execve reset
       them: flush_signal_handlers), then the answer to the execve, then the next command. */
    snprintf(my_name, sizeof my_name, "%s", argv[2]);
    my_sigdefault = strcmp(argv[3], "1") == 0;
    if (!my_sigdefault && install_handlers() != 0) die("sigaction");
    reply(0, NULL, 0);
    agent_loop();
    _exit(0);
  }
  sock_name = argv[2];
  root_dir = argv[3];
  keeper();
  return 0;
}
