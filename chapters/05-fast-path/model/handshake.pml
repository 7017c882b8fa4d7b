/* Chapter 5's sleep handshake (texample.cc: WakeConsumerIfAsleep, SleepOrComeBack, Stop) with
 * libuv 1.46's uv_async_send and uv__async_io (or, with LIBUV_CAS, those of libuv after 1.52.1),
 * under a view-based operational model of C++'s relaxed,
 * release/acquire and seq_cst-fence atomics (the shape of the "promising" semantics, without
 * promises). run.sh checks every variant; the expected results are listed there.
 *
 * The memory model. Each location keeps every value written to it, oldest first (its
 * modification order; a write appends). Each thread has a view: per location, the oldest write it
 * may still read. A load may read any write at or after the view (so a relaxed load can return a
 * stale value, which is how a store->store or load->load reordering of ARM64 shows up here) and
 * moves the view there; an acquire load also takes the view the write released. A release write
 * carries its thread's view; a relaxed one only itself. A read-modify-write reads the newest
 * write (atomicity) and forwards the view of the write it read (release sequences). A seq_cst
 * fence joins the thread's view with one global view, both ways. membarrier() (the asymmetric
 * fence's Heavy) is a fence on the caller, one on every other thread wherever it is, and one on
 * the caller again; Light() is then nothing at all. The eventfd is a kernel object: atomic, and
 * its write and read order like a release and an acquire.
 *
 * The program. P producers (one unless P=2) each push N items into a ring of their own and then
 * finish (ProducerGroup::Finish: the last one to finish makes the group done); the main thread
 * is libuv's loop: it waits for the eventfd, clears the handle's pending flag and, if it was set,
 * runs Drain. A lost wake-up leaves the main thread waiting for ever after the producers have
 * finished: the Checker reports it. Drain asserts that the stream ends with every item
 * delivered.
 *
 * A stream either ends (the producer finishes: Drain must End it with every item delivered) or,
 * with PAUSE, pauses after its items (the producer waits for its next period, sends nothing more:
 * the main thread must have delivered every item before it sleeps). The pause catches a lost
 * wake-up in the middle of a stream, which an ending stream can hide: the producer's last
 * ProducersDone is a second chance.
 *
 * The printf lines are for reading a counterexample (spin -t), not for the check.
 *
 * Variants (spin -D…):
 *   SYMMETRIC           both fences are seq_cst fences (the fallback without membarrier)
 *   FIXED               the producer's exchange of armed_ is an acquire, the main thread's store a
 *                       release (texample.cc); without it both are relaxed (the broken order)
 *   FENCE_BEFORE_SEND   a seq_cst fence between winning armed_ and uv_async_send, orders relaxed
 *   SC_RMW_AS_FENCES    libuv's seq_cst exchanges of `pending` as fence; RMW; fence (as x86's
 *                       XCHG gives), instead of the weaker acq_rel RMW
 *   NO_FENCES           Heavy() does nothing (with Light() nothing): a check that the model sees
 *                       the store-then-load race the fences are there for
 *   P=2                 two producers, each with its own ring, both reading and winning armed_
 *   STOP_SEND           stop() is called once, while the main thread waits (a timer, armed_
 *                       possibly set) or from the callback during a delivery: its own
 *                       uv_async_send. That the producers then stop early only shortens the
 *                       stream, which the model already covers (PAUSE, fewer items).
 *   LIBUV_CAS           uv_async_send and uv__async_io of libuv after 1.52.1 (libuv #5058):
 *                       `pending` holds the flag in bit 0 and a count of busy senders above it; a
 *                       sender makes a relaxed cheap read, then a relaxed compare-exchange loop
 *                       that adds 3 (flag and one busy sender) unless the flag is set, writes the
 *                       eventfd, and subtracts 2 (relaxed); the loop clears the flag with a
 *                       seq_cst fetch_and
 *   N=…, MAXMSG=…       items per producer, and writes kept per location (an assertion says when
 *                       too few)
 */

#ifndef P
#define P 1
#endif
/* Locations: producer p's ring's tail (how many items it has published) is location p */
#define ARMED P          /* armed_ */
#define PENDING (P + 1)  /* uv_async_t::pending */
#define RUNNING (P + 2)  /* ProducerGroup::running_: producers not yet finished */
#define NLOC (P + 3)
#ifndef MAXMSG
#define MAXMSG 16
#endif
#define MAIN 0           /* threads: the main thread, then producer p as thread p + 1 */
#define NTHR (P + 1)

#ifndef N
#define N 2
#endif

#ifdef FIXED
#define ARMED_EXCHANGE_ACQUIRE 1
#define ARMED_STORE_RELEASE 1
#else
#define ARMED_EXCHANGE_ACQUIRE 0
#define ARMED_STORE_RELEASE 0
#endif

byte cnt[NLOC];                  /* writes per location; a write's timestamp is its index */
byte val[NLOC * MAXMSG];         /* the value of each write */
byte mview[NLOC * MAXMSG * NLOC];/* the view each write released */
byte view[NTHR * NLOC];          /* each thread's view */
byte sc[NLOC];                   /* the seq_cst fences' view */
bool efd;                        /* the loop's eventfd is readable */
byte delivered;                  /* items Drain has taken */
bool ended;                      /* Drain has ended the stream */
byte efdview[NLOC];              /* what the eventfd's writers released */

#define MV(l, m, k) mview[((l) * MAXMSG + (m)) * NLOC + (k)]
#define V(t, k) view[(t) * NLOC + (k)]

inline join_msg(t, l, m) {
  k = 0;
  do
  :: k < NLOC -> if :: MV(l, m, k) > V(t, k) -> V(t, k) = MV(l, m, k) :: else fi; k++
  :: else -> break
  od
}

/* A write of v by thread t, appended to l's history. rel: it carries t's view. fwd: the index of
 * the write an RMW read, whose view it forwards, or 255. */
inline append(t, l, v, rel, fwd) {
  assert(cnt[l] < MAXMSG);
  V(t, l) = cnt[l];
  val[l * MAXMSG + cnt[l]] = v;
  k = 0;
  do
  :: k < NLOC ->
     MV(l, cnt[l], k) = (rel -> V(t, k) : 0);
     if :: fwd != 255 && MV(l, fwd, k) > MV(l, cnt[l], k) -> MV(l, cnt[l], k) = MV(l, fwd, k)
        :: else fi;
     k++
  :: else -> break
  od;
  MV(l, cnt[l], l) = cnt[l];
  cnt[l]++
}

inline load(t, l, r, acq) {
  atomic {
    ts = V(t, l);
    do
    :: ts + 1 < cnt[l] -> ts++
    :: break
    od;
    r = val[l * MAXMSG + ts];
    V(t, l) = ts;
    if :: acq -> join_msg(t, l, ts) :: else fi
  }
}

inline store(t, l, v, rel) {
  atomic { append(t, l, v, rel, 255) }
}

inline fence(t) {
  k = 0;
  do
  :: k < NLOC ->
     if :: V(t, k) > sc[k] -> sc[k] = V(t, k) :: else -> V(t, k) = sc[k] fi;
     k++
  :: else -> break
  od
}

/* A read-modify-write: old = l; l = v, where v may be an expression of old */
inline rmw(t, l, v, old, acq, rel) {
  atomic {
    ts = cnt[l] - 1;
    old = val[l * MAXMSG + ts];
    if :: acq -> join_msg(t, l, ts) :: else fi;
    append(t, l, v, rel, ts)
  }
}

inline exchange(t, l, v, old, acq, rel) {
  rmw(t, l, v, old, acq, rel)
}

/* libuv's seq_cst read-modify-writes of `pending` */
inline sc_rmw(t, l, v, old) {
#ifdef SC_RMW_AS_FENCES
  atomic { fence(t) };
  rmw(t, l, v, old, 1, 1);
  atomic { fence(t) }
#else
  rmw(t, l, v, old, 1, 1)
#endif
}

/* fence_.Light() */
inline light(t) {
#ifdef SYMMETRIC
  atomic { fence(t) }
#else
  skip
#endif
}

/* fence_.Heavy(), on the main thread: membarrier runs a fence on every other thread */
inline heavy() {
#if defined(NO_FENCES)
  skip
#elif defined(SYMMETRIC)
  atomic { fence(MAIN) }
#else
  atomic {
    fence(MAIN);
    q = 1;
    do
    :: q <= P -> fence(q); q++
    :: else -> break
    od;
    fence(MAIN)
  }
#endif
}

/* The eventfd's write: a kernel object, whose write releases what the writer has seen */
inline write_eventfd(t) {
  atomic {
    k = 0;
    do
    :: k < NLOC -> if :: V(t, k) > efdview[k] -> efdview[k] = V(t, k) :: else fi; k++
    :: else -> break
    od;
    efd = true
  }
}

#ifndef LIBUV_CAS
/* uv_async_send, libuv 1.46 (the `busy` count only matters to uv_close: left out) */
inline async_send(t) {
  load(t, PENDING, r, 0);  /* "Do a cheap read first" */
  printf("%d: uv_async_send reads pending = %d (write %d of %d)\n", t, r, V(t, PENDING), cnt[PENDING] - 1);
  if
  :: r == 0 ->
     sc_rmw(t, PENDING, 1, old);
     if
     :: old == 0 -> write_eventfd(t)
     :: else
     fi
  :: else
  fi
}

/* uv__async_io, libuv 1.46: clears the flag; the callback runs if it was set */
inline clear_pending(was_set) {
  sc_rmw(MAIN, PENDING, 0, old);
  was_set = (old != 0)
}
#else
/* uv_async_send, libuv after 1.52.1: a relaxed cheap read, then a relaxed compare-exchange loop.
 * A compare-exchange that fails is a relaxed load (it may read any value the thread may still
 * read), after which the loop looks at the flag again; one that succeeds compared with the newest
 * write and appends the flag and a busy sender (+3). The busy count only matters to uv_close. */
inline async_send(t) {
  load(t, PENDING, r, 0);  /* "Do a cheap read first" */
  printf("%d: uv_async_send reads pending = %d (write %d of %d)\n", t, r, V(t, PENDING), cnt[PENDING] - 1);
  do
  :: r & 1 -> break  /* pending already: return */
  :: else ->
     atomic {
       if
       :: r == val[PENDING * MAXMSG + cnt[PENDING] - 1] -> rmw(t, PENDING, old + 3, old, 0, 0); won = true
       :: else -> won = false
       fi
     };
     if
     :: won ->  /* the compare-exchange succeeded */
        write_eventfd(t);
        rmw(t, PENDING, old - 2, old, 0, 0);  /* atomic_fetch_add(-2), relaxed */
        break
     :: else -> load(t, PENDING, r, 0)  /* it failed: `current` is what it read */
     fi
  od
}

/* uv__async_io, libuv after 1.52.1: a seq_cst fetch_and clears the flag, leaving the busy count */
inline clear_pending(was_set) {
  sc_rmw(MAIN, PENDING, old & 254, old);
  was_set = ((old & 1) != 0)
}
#endif

/* Texample::WakeConsumerIfAsleep */
inline wake_consumer_if_asleep(t) {
  light(t);
  load(t, ARMED, r, 0);
  if
  :: r ->
     exchange(t, ARMED, 0, old, ARMED_EXCHANGE_ACQUIRE, 0);
     printf("%d: wins armed_: %d\n", t, old);
     if
     :: old ->
#ifdef FENCE_BEFORE_SEND
        atomic { fence(t) };
#endif
        async_send(t)
     :: else
     fi
  :: else
  fi
}

/* ProducerGroup::AllDone: a seq_cst fence, then an acquire load */
inline all_done(done) {
  atomic { fence(MAIN) };
  load(MAIN, RUNNING, r, 1);
  done = (r == 0)
}

/* Producer p, thread p + 1, ring (location) p */
proctype Producer(byte p) {
  byte ts, k, r, old, n = 1;
  bool won;  /* LIBUV_CAS: the sender's compare-exchange succeeded */
  do
  :: n <= N ->
     store(p + 1, p, n, 1);  /* Ring::TryPush: a release store of the tail */
     printf("producer %d: publishes item %d\n", p, n);
     wake_consumer_if_asleep(p + 1);
     n++
  :: else -> break
  od;
#ifdef PAUSE
  /* The stream pauses: the producer waits (for its next period) and sends nothing more */
end_paused:
  false
#else
  /* ProducerGroup::Finish: fetch_sub(acq_rel), a seq_cst fence, then ProducersDone */
  rmw(p + 1, RUNNING, old - 1, old, 1, 1);
  printf("producer %d: done\n", p);
  atomic { fence(p + 1) };
  wake_consumer_if_asleep(p + 1)
#endif
}

/* Texample::Stop's send, once, at either place where JS may call stop() */
#ifdef STOP_SEND
#define MAYBE_STOP \
  if \
  :: !stopped -> stopped = true; printf("main: stop() sends\n"); async_send(MAIN) \
  :: true \
  fi
#else
#define MAYBE_STOP skip
#endif

/* TakeSnapshot, AnythingQueued: every ring's Tail, an acquire load each; `tail` is their sum, as
 * `head` is the sum of what was taken (each ring's tail only grows, so they differ exactly when a
 * ring has an item not taken) */
inline read_tails() {
  tail = 0;
  q = 0;
  do
  :: q < P -> load(MAIN, q, r, 1); tail = tail + r; q++
  :: else -> break
  od
}

proctype Main() {
  byte ts, k, q, r, old, head = 0, tail, done, took;
  bool stopped, was_set, won;
loop:
  MAYBE_STOP;  /* a timer calls stop() */
end_waiting:  /* waiting is a valid end only for a paused stream: see Checker */
  /* uv__io_poll, then uv__async_io: read the eventfd, clear each handle's pending flag */
  atomic {
    efd ->
    efd = false;
    k = 0;
    do
    :: k < NLOC -> if :: efdview[k] > V(MAIN, k) -> V(MAIN, k) = efdview[k] :: else fi; k++
    :: else -> break
    od
  };
  clear_pending(was_set);
  printf("main: wakes, clears pending (was %d)\n", old);
  if :: !was_set -> goto loop :: else fi;
  /* Texample::Drain */
  all_done(done);
  read_tails();               /* TakeSnapshot */
  took = (tail != head);
  head = tail;                /* Deliver, DropSnapshot */
  delivered = head;
  printf("main: drain takes %d items in all, producers done: %d\n", head, done);
  MAYBE_STOP;                 /* the callback calls stop() */
  if
  :: done -> assert(head == P * N); ended = true; goto finished  /* End */
  :: else
  fi;
  /* Texample::SleepOrComeBack(took) */
  if
  :: !took ->
     read_tails();  /* AnythingQueued */
     if :: tail != head -> goto send :: else fi;
     store(MAIN, ARMED, 1, ARMED_STORE_RELEASE);
     printf("main: arms\n");
     heavy();
     read_tails();
     if
     :: tail == head ->
        all_done(done);
        if :: !done -> printf("main: sleeps\n"); goto loop :: else fi  /* asleep: the next push sends */
     :: else
     fi;
     printf("main: the last look finds work\n");
     exchange(MAIN, ARMED, 0, old, 0, 0);
     if :: !old -> goto loop :: else fi    /* a producer sent already */
  :: else
  fi;
send:
  async_send(MAIN);
  goto loop;
finished:
  skip
}

/* When nothing can move any more, every item published must have been delivered. A finished
 * stream has delivered them (Drain asserts it) and Main has ended; a paused one must have
 * delivered them and gone to sleep. */
#ifdef PAUSE
#define ENDED true
#else
#define ENDED ended
#endif
proctype Checker() {
  timeout -> assert(delivered == P * N && ENDED)
}

init {
  byte l;
  atomic {
    /* Start: every location's first write; armed_ is set, so the first push sends */
    l = 0;
    do
    :: l < NLOC -> cnt[l] = 1; l++
    :: else -> break
    od;
    val[ARMED * MAXMSG] = 1;
    val[RUNNING * MAXMSG] = P;
    run Main();
    l = 0;
    do
    :: l < P -> run Producer(l); l++
    :: else -> break
    od;
    run Checker()
  }
}
