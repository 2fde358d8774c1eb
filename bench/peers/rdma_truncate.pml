/*
 * The canonical case of the RDMA/FS-DAX truncate thread, in Promela, as a peer for
 * `npm run bench` (bench/peers.ts) to race daxlease's explorer against SPIN.
 *
 *   spin -DF=4 -DNAPPS=2 -a rdma_truncate.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -c0 -w22
 *
 * NAPPS RDMA apps (1-3) each: open the file, take the layout lease (F_LAYOUT), mmap its
 * F pages, open uverbs, allocate a PD, register an MR over the mapping (pins the F pages);
 * then, each optionally, close the file and munmap it. When SIGIO comes (a truncate broke
 * its lease) an app either reacts (deregisters the MR, then F_UNLCK) or ignores it, for
 * good: the choice is made when the first one arrives. The NIC writes through each MR
 * once, at any time after it was registered; the admin may SIGKILL each app once, at any
 * time. B (another user) truncates the file to 0 twice; C (a third) opens another file
 * and writes it, and may be given the blocks the truncate freed. The time a truncate
 * waits for the leases to go (fs.lease-break-time) runs out whenever it waits.
 *
 * The policy is rfc-v1 (Ira Weiny, June 2019; daxlease's `rfc-v1`): a pin of a DAX page
 * needs a layout lease on the file, being broken or not (EPERM); truncate breaks the
 * layout leases (SIGIO to each holder), waits until they are gone or their time runs out,
 * then fails with ETXTBSY if a page it would free is pinned. The apps share one file, so
 * one truncate breaks every app's lease and waits for all of them.
 *
 * It is the same script as daxlease's (bench/peers.ts writes it), with the same steps:
 * each call, optional step, handler call, NIC write, kill and time-out is one atomic
 * transition (d_step), and what the kernel does by itself after it (a woken truncate
 * goes on, a killed app exits) happens in the same transition, as daxlease's `settle`.
 * What SPIN checks: no-corruption (assertions: a freed block has no pin; the NIC writes
 * only blocks of the file it pinned), pinner-visible (an assertion: an active MR's app
 * still has the file open, mapped or leased; it fails under rfc-v1 after close and
 * munmap, as daxlease finds), and no-innocent-hang (Watch: B never waits in a state
 * where nothing else can move; weaker than daxlease's, which judges the reachable graph
 * and does not count the admin's kill as a way out). user-told and recoverable are not
 * modelled. SPIN drops variables that are written and never read: the block bytes the NIC
 * writes would be one, so they are left out here (daxlease keeps them).
 *
 * What it abstracts away, compared with daxlease's state:
 * - The mount is F+1 blocks with an owner and a pin count each;
 *   daxlease has the whole mount's block map, block bytes, unwritten extents, inodes
 *   (sizes, link and open counts), the directory, and every other file.
 * - Descriptors, open file descriptions (flags, offsets, f_owner, the fasync entry),
 *   VMAs (addresses, offsets), the uverbs context, PD and MR handles are a few bits per
 *   app; daxlease keeps the fd tables, the file table (whose slot numbers depend on the
 *   order of the opens), each process's mm and the handle numbers the calls returned.
 * - A lease is none / held / being broken; daxlease has fs/locks.c's lease (type, flags,
 *   owner, pin count, break and downgrade deadlines as virtual time) and the queue of
 *   blocked breakers; the one timer here is "time runs out" while B waits.
 * - Signals are "a SIGIO handler is queued"; daxlease has each process's signal queue,
 *   pending count, fatal signal and exit state (a killed app is a zombie in its table).
 * - Call results are not kept (as in daxlease, they are not part of the state).
 * - One file for the apps (daxlease's script also has one); only the properties above.
 * Checked: the states SPIN stores without partial-order reduction (-DNOREDUCE) are
 * daxlease's states projected onto these variables, plus SPIN's boot state: the same set
 * for F=4 and one or two apps (pan's state vectors decoded, -DSVDUMP); npm run
 * bench:peers compares the counts (bench/peers/project.ts).
 */

#ifndef F
#define F 4
#endif
#ifndef NAPPS
#define NAPPS 1
#endif

#define NB (F + 1)           /* the file's F blocks, and one for C's file */
#define NONE 255

#define FREE 0               /* owner[] */
#define FILE_A 1
#define FILE_B 2

#define NO_LEASE 0           /* App.lease */
#define HELD 1
#define BREAKING 2           /* FL_UNLOCK_PENDING */

#define NO_MR 0              /* App.mr */
#define ACTIVE 1
#define GONE 2

#define UNDECIDED 0          /* App.hchoice */
#define REACT 1
#define IGNORE 2

/* The program: pc is the index of the app's next call. */
#define OPEN 0
#define SETLEASE 1
#define MMAP 2
#define OPEN_UVERBS 3
#define ALLOC_PD 4
#define REG_MR 5
#define CLOSE 6              /* optional */
#define MUNMAP 7             /* optional */
#define DONE 8

/* Scratch of the steps (hidden: no part of the state). */
hidden byte k, busy, k2;

byte owner[NB];
byte pins[NB];
byte amap[F];                /* the file's page -> block (NONE once truncated away) */
bit truncated;               /* the file's size is 0 */

typedef App {
  byte pc;
  bit fd3;                   /* fd 3 (the file) is open */
  bit mapped;                /* its mapping is there */
  byte lease;
  byte mr;
  bit mrset;                 /* $mr was bound (ibv_reg_mr succeeded) */
  byte mrblk[F];             /* the blocks the MR pinned */
  bit hq;                    /* the SIGIO handler is queued */
  bit hrun;                  /* the handler ran its first call; the second is next */
  byte hchoice;
  bit dead;
  bit nic;                   /* the NIC's one write through this MR happened */
  bit killed;                /* the admin's one kill happened */
}
App app[NAPPS];

byte bpc;                    /* B's next truncate (0, 1; 2 when done) */
bit bwait;                   /* B sleeps in truncate until the leases are gone */

inline free_block(b) {
  assert(pins[b] == 0);      /* no-corruption: a pinned block is never freed */
  owner[b] = FREE
}

/* pinner-visible: an active MR's app has the file open, mapped or leased (lsof, /proc/locks). */
inline judge(i) {
  assert(app[i].mr != ACTIVE || app[i].fd3 || app[i].mapped || app[i].lease != NO_LEASE)
}

/* The truncate past the leases: ETXTBSY if a page it would free is pinned, else free them. */
inline finish_truncate() {
  k = 0;
  busy = 0;
  do
  :: k < F -> busy = busy || pins[amap[k]] > 0; k++
  :: else -> break
  od;
  if
  :: !busy ->
     k = 0;
     do
     :: k < F -> free_block(amap[k]); amap[k] = NONE; k++
     :: else -> break
     od;
     truncated = 1
  :: else -> skip            /* -1 ETXTBSY */
  fi;
  k = 0
}

/* settle: a truncate asleep on the leases goes on once none is left. */
inline settle() {
  if
  :: bwait ->
     k = 0;
     busy = 0;
     do
     :: k < NAPPS -> busy = busy || app[k].lease != NO_LEASE; k++
     :: else -> break
     od;
     if
     :: !busy -> bwait = 0; finish_truncate()
     :: else -> k = 0
     fi
  :: else -> skip
  fi;
  busy = 0
}

/* A lease goes (F_UNLCK, the last fput, or its time ran out). */
inline drop_lease(i) {
  app[i].lease = NO_LEASE
}

inline unpin(i) {
  k = 0;
  do
  :: k < F -> pins[app[i].mrblk[k]]--; k++
  :: else -> break
  od;
  k = 0;
  app[i].mr = GONE
}

/* The last reference to the open file description went: the lease goes with it. */
inline fput(i) {
  if
  :: !app[i].fd3 && !app[i].mapped -> drop_lease(i)
  :: else -> skip
  fi
}

/* kill(Ai, SIGKILL) and the exit: files closed (uverbs releases the MR), mm dropped. */
inline die(i) {
  if
  :: app[i].mr == ACTIVE -> unpin(i)
  :: else -> skip
  fi;
  app[i].fd3 = 0;
  app[i].mapped = 0;
  drop_lease(i);
  app[i].hq = 0;
  app[i].hrun = 0;
  app[i].dead = 1
}

/* kill_fasync: SIGIO to the holder of a lease being broken; its handler is queued unless ignored. */
inline sigio(i) {
  if
  :: !app[i].dead && app[i].hchoice != IGNORE && !app[i].hq && !app[i].hrun -> app[i].hq = 1
  :: else -> skip
  fi
}


proctype A(byte i) {
end:
  do
  /* The handler first, between two calls. */
  :: d_step { !app[i].dead && app[i].hq && app[i].hchoice == UNDECIDED ->
       app[i].hchoice = IGNORE; app[i].hq = 0 }
  :: d_step { !app[i].dead && app[i].hq && app[i].hchoice != IGNORE ->
       /* react (first time), or the handler again: ibv_dereg_mr($mr) */
       app[i].hchoice = REACT; app[i].hq = 0; app[i].hrun = 1;
       if
       :: app[i].mr == ACTIVE -> unpin(i)
       :: else -> skip        /* EINVAL */
       fi }
  :: d_step { !app[i].dead && app[i].hrun ->
       /* fcntl(3, F_SETLEASE, F_UNLCK) */
       app[i].hrun = 0;
       if
       :: app[i].fd3 && app[i].lease != NO_LEASE -> drop_lease(i); judge(i); settle()
       :: else -> skip        /* EBADF, EAGAIN */
       fi }
  /* The program. */
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == OPEN -> app[i].pc++; app[i].fd3 = 1 }
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == SETLEASE -> app[i].pc++;
       /* generic_add_lease: EAGAIN while another lease is being broken */
       k = 0; busy = 0;
       do
       :: k < NAPPS -> busy = busy || app[k].lease == BREAKING; k++
       :: else -> break
       od;
       if
       :: !busy -> app[i].lease = HELD
       :: else -> skip
       fi;
       k = 0; busy = 0 }
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == MMAP -> app[i].pc++; app[i].mapped = 1 }
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == OPEN_UVERBS -> app[i].pc++ }
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == ALLOC_PD -> app[i].pc++ }
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == REG_MR -> app[i].pc++;
       /* past EOF: EFAULT; no layout lease at all, breaking or not (RFC patch 04's
          mapping_inode_has_layout): EPERM */
       k = 0; busy = 0;
       do
       :: k < NAPPS -> busy = busy || app[k].lease == HELD || app[k].lease == BREAKING; k++
       :: else -> break
       od;
       if
       :: !truncated && busy ->
          k = 0;
          do
          :: k < F -> pins[amap[k]]++; app[i].mrblk[k] = amap[k]; k++
          :: else -> break
          od;
          app[i].mr = ACTIVE; app[i].mrset = 1
       :: else -> skip
       fi;
       k = 0; busy = 0 }
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == CLOSE -> app[i].pc++;
       app[i].fd3 = 0; fput(i); judge(i); settle() }
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && (app[i].pc == CLOSE || app[i].pc == MUNMAP) -> app[i].pc++ }  /* skipped */
  :: d_step { !app[i].dead && !app[i].hq && !app[i].hrun && app[i].pc == MUNMAP -> app[i].pc++;
       app[i].mapped = 0; fput(i); judge(i); settle() }
  od
}

proctype B() {
end:
  do
  :: d_step { !bwait && bpc < 2 -> bpc++;
       /* truncate("/mnt/pmem/a", 0): nothing to free once the size is 0 */
       if
       :: !truncated ->
          /* break_layout: every held layout lease is told and must go */
          k2 = 0;
          do
          :: k2 < NAPPS ->
             if
             :: app[k2].lease == HELD -> app[k2].lease = BREAKING; sigio(k2)
             :: else -> skip
             fi;
             k2++
          :: else -> break
          od;
          k2 = 0;
          bwait = 1;
          settle()               /* no lease: on at once */
       :: else -> skip
       fi }
  od
}

proctype C() {
  d_step { skip }              /* open("/mnt/pmem/b", O_RDWR) */
  d_step {                     /* write(3, "secret", 6): the lowest free block */
    k = 0;
    do
    :: k < NB - 1 && owner[k] != FREE -> k++
    :: else -> break
    od;
    owner[k] = FILE_B;
    k = 0 }
}

/* The environment: the NIC's write through each MR, the admin's kill of each app. */
proctype Env() {
end:
  do
  :: d_step { !app[0].nic && app[0].mrset -> app[0].nic = 1;
       if
       :: app[0].mr == ACTIVE -> assert(owner[app[0].mrblk[0]] == FILE_A)
       :: else -> skip        /* EFAULT */
       fi }
  :: d_step { !app[0].killed -> app[0].killed = 1;
       if
       :: !app[0].dead -> die(0); settle()
       :: else -> skip
       fi }
#if NAPPS > 1
  :: d_step { !app[1].nic && app[1].mrset -> app[1].nic = 1;
       if
       :: app[1].mr == ACTIVE -> assert(owner[app[1].mrblk[0]] == FILE_A)
       :: else -> skip
       fi }
  :: d_step { !app[1].killed -> app[1].killed = 1;
       if
       :: !app[1].dead -> die(1); settle()
       :: else -> skip
       fi }
#endif
#if NAPPS > 2
  :: d_step { !app[2].nic && app[2].mrset -> app[2].nic = 1;
       if
       :: app[2].mr == ACTIVE -> assert(owner[app[2].mrblk[0]] == FILE_A)
       :: else -> skip
       fi }
  :: d_step { !app[2].killed -> app[2].killed = 1;
       if
       :: !app[2].dead -> die(2); settle()
       :: else -> skip
       fi }
#endif
  /* fs.lease-break-time runs out while B waits: every lease being broken goes. */
  :: d_step { bwait ->
       k2 = 0;
       do
       :: k2 < NAPPS ->
          if
          :: app[k2].lease == BREAKING -> drop_lease(k2)
          :: else -> skip
          fi;
          k2++
       :: else -> break
       od;
       k2 = 0;
       settle() }
  od
}

/* no-innocent-hang: when nothing else can move, B is not asleep (one step back to the same state). */
proctype Watch() {
end:
  do
  :: atomic { timeout -> assert(!bwait) }
  od
}

/* Boot: the file's F blocks are the lowest ones, as the allocator gives them; then the processes. */
init {
  atomic {
    k = 0;
    do
    :: k < F -> owner[k] = FILE_A; amap[k] = k; k++
    :: else -> break
    od;
    k = 0;
    do
    :: k < NAPPS -> run A(k); k++
    :: else -> break
    od;
    run B(); run C(); run Env(); run Watch()
  }
}
