/* Chapter 5's sleep handshake (texample.cc: WakeConsumerIfAsleep, SleepOrComeBack) with libuv
 * 1.46's uv_async_send and uv__async_io, under a view-based operational model of C++'s relaxed,
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
 * The program. One producer pushes N items and then finishes (ProducerGroup::Finish); the main
 * thread is libuv's loop: it waits for the eventfd, clears the handle's pending flag and, if it
 * was set, runs Drain. A lost wake-up leaves the main thread waiting for ever after the producer
 * has finished: Spin reports it as an invalid end state. Drain asserts that the stream ends with
 * every item delivered.
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
 *   N=…, MAXMSG=…       items, and writes kept per location (an assertion says when too few)
 */

#define TAIL 0     /* the ring's tail: how many items the producer has published */
#define ARMED 1    /* armed_ */
#define PENDING 2  /* uv_async_t::pending */
#define RUNNING 3  /* ProducerGroup::running_ */
#define NLOC 4
#ifndef MAXMSG
#define MAXMSG 16
#endif
#define MAIN 0
#define PROD 1
#define NTHR 2

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

/* exchange: old = l; l = v */
inline exchange(t, l, v, old, acq, rel) {
  atomic {
    ts = cnt[l] - 1;
    old = val[l * MAXMSG + ts];
    if :: acq -> join_msg(t, l, ts) :: else fi;
    append(t, l, v, rel, ts)
  }
}

/* libuv's seq_cst exchanges of `pending` */
inline sc_exchange(t, l, v, old) {
#ifdef SC_RMW_AS_FENCES
  atomic { fence(t) };
  exchange(t, l, v, old, 1, 1);
  atomic { fence(t) }
#else
  exchange(t, l, v, old, 1, 1)
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

/* fence_.Heavy(), on the main thread */
inline heavy() {
#if defined(NO_FENCES)
  skip
#elif defined(SYMMETRIC)
  atomic { fence(MAIN) }
#else
  atomic { fence(MAIN); fence(PROD); fence(MAIN) }
#endif
}

/* uv_async_send, libuv 1.46 (the `busy` count only matters to uv_close: left out) */
inline async_send(t) {
  load(t, PENDING, r, 0);  /* "Do a cheap read first" */
  printf("%d: uv_async_send reads pending = %d (write %d of %d)\n", t, r, V(t, PENDING), cnt[PENDING] - 1);
  if
  :: r == 0 ->
     sc_exchange(t, PENDING, 1, old);
     if
     :: old == 0 ->
        atomic {
          k = 0;
          do
          :: k < NLOC -> if :: V(t, k) > efdview[k] -> efdview[k] = V(t, k) :: else fi; k++
          :: else -> break
          od;
          efd = true
        }
     :: else
     fi
  :: else
  fi
}

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

proctype Producer() {
  byte ts, k, r, old, n = 1;
  do
  :: n <= N ->
     store(PROD, TAIL, n, 1);  /* Ring::TryPush: a release store of the tail */
     printf("producer: publishes item %d\n", n);
     wake_consumer_if_asleep(PROD);
     n++
  :: else -> break
  od;
#ifdef PAUSE
  /* The stream pauses: the producer waits (for its next period) and sends nothing more */
end_paused:
  false
#else
  /* ProducerGroup::Finish: fetch_sub(acq_rel), a seq_cst fence, then ProducersDone */
  exchange(PROD, RUNNING, 0, old, 1, 1);
  printf("producer: done\n");
  atomic { fence(PROD) };
  wake_consumer_if_asleep(PROD)
#endif
}

proctype Main() {
  byte ts, k, r, old, head = 0, tail, done, took;
loop:
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
  sc_exchange(MAIN, PENDING, 0, old);
  printf("main: wakes, clears pending (was %d)\n", old);
  if :: old == 0 -> goto loop :: else fi;
  /* Texample::Drain */
  all_done(done);
  load(MAIN, TAIL, tail, 1);  /* TakeSnapshot: Ring::Tail is an acquire */
  took = (tail != head);
  head = tail;                /* Deliver, DropSnapshot */
  delivered = head;
  printf("main: drain takes up to item %d, producers done: %d\n", head, done);
  if
  :: done -> assert(head == N); ended = true; goto finished  /* End */
  :: else
  fi;
  /* Texample::SleepOrComeBack(took) */
  if
  :: !took ->
     load(MAIN, TAIL, tail, 1);  /* AnythingQueued */
     if :: tail != head -> goto send :: else fi;
     store(MAIN, ARMED, 1, ARMED_STORE_RELEASE);
     printf("main: arms\n");
     heavy();
     load(MAIN, TAIL, tail, 1);
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
  timeout -> assert(delivered == N && ENDED)
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
    val[RUNNING * MAXMSG] = 1;
    run Main();
    run Producer();
    run Checker()
  }
}
