/* feed: a simulated vendor library whose threads call into its user. Plain C API.
 *
 * It has the shape of a device SDK's reader, an audio driver's callback or a database client's
 * I/O thread: the library owns its threads. The user never creates, joins or sees them; it gets
 * calls on them, through a callback it registered, with a user_data pointer it chose.
 *
 *   feed_subscribe(callback, user_data, config, &subscription, &error)
 *       Starts config->producers threads owned by the library. Thread k emits the values
 *       k, k+P, k+2P, … below config->count, the whole stream paced at one value every
 *       config->period_ns (0 = as fast as the callback returns): value n is due at
 *       start + (n+1)·period. Each value is one call of `callback` on the thread that emits it,
 *       with FEED_EVENT_ITEM; the last thread to finish its share (all values emitted) then
 *       makes one FEED_EVENT_END call. Calls on different threads run concurrently.
 *       Returns 0, or an errno value when a thread could not be created (EAGAIN at the process's
 *       thread limit); `error` then says which. On failure nothing is left running: the threads
 *       already started were stopped, and waited for, before feed_subscribe returned (so the
 *       callback must not wait for the thread that calls feed_subscribe).
 *
 *   Callback status. The callback returns FEED_CONTINUE, or any other value to refuse the call.
 *       A refusal is counted (feed_stats: refused) and ends the subscription's deliveries: no
 *       thread of it starts another call once one was refused (calls already under way on other
 *       threads may still come, and may be refused and counted too). There is no retry.
 *
 *   feed_unsubscribe(subscription, FEED_UNSUBSCRIBE_WAIT)
 *       Stops the threads and returns once none is inside the callback or will enter it again.
 *       Must not be called from inside the callback (it would wait for itself).
 *   feed_unsubscribe(subscription, FEED_UNSUBSCRIBE_AT_ONCE)
 *       Returns at once. A callback may still be running when it returns, and the threads go on
 *       calling for up to config->late_ms milliseconds more (values emitted on their schedule),
 *       until a call is refused or the delay has passed. This is how many real libraries behave,
 *       and how the race with the user's teardown is injected here.
 *   Either way the subscription handle is invalid once feed_unsubscribe returns. The library
 *   gives no notification of when it is done with user_data: after an at-once unsubscribe, the
 *   user cannot know when the last call has returned.
 *
 *   feed_submit(request, reply_callback, user_data)
 *       Request/response. The library answers on a thread of its own after request->delay_ms:
 *       reply_callback(user_data, request->value * 2). The reply callback's status is counted
 *       like an item callback's (a refused reply is counted in feed_stats: refused_replies).
 *       Returns 0 or an errno value (a thread that could not be created).
 *
 *   feed_stats(&stats)
 *       Process-wide diagnostics: threads still running, calls made and refused.
 *
 * Every global of the library lives for the whole process, never destroyed: its threads may
 * still run while the process exits (process.exit() runs static destructors while they call).
 */
#ifndef FEED_H_
#define FEED_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { FEED_CONTINUE = 0, FEED_REFUSE = 1 };
enum feed_event_kind { FEED_EVENT_ITEM = 0, FEED_EVENT_END = 1 };
enum feed_unsubscribe_mode { FEED_UNSUBSCRIBE_WAIT = 0, FEED_UNSUBSCRIBE_AT_ONCE = 1 };

struct feed_event {
  enum feed_event_kind kind;
  uint64_t value;   /* FEED_EVENT_ITEM: the value emitted */
  uint64_t sent_ns; /* CLOCK_MONOTONIC when it was emitted, if config->stamp; else 0 */
};

/* Any library thread. Returns FEED_CONTINUE, or anything else to refuse. */
typedef int (*feed_callback)(void* user_data, const struct feed_event* event);
typedef int (*feed_reply_callback)(void* user_data, uint64_t reply);

struct feed_config {
  unsigned producers; /* threads, 1 or more */
  uint64_t count;     /* values 0 … count-1; UINT64_MAX: forever */
  uint64_t period_ns; /* between two values of the whole stream; 0 = unpaced */
  int stamp;          /* nonzero: fill feed_event.sent_ns */
  uint32_t late_ms;   /* how long threads go on calling after an at-once unsubscribe */
};

struct feed_error {
  unsigned thread;  /* the thread (1-based) that could not be created */
  unsigned threads; /* of how many */
};

struct feed_request {
  uint64_t value;
  uint32_t delay_ms; /* the answer comes this long after feed_submit */
};

struct feed_stats {
  uint64_t threads_running;         /* subscription and reply threads not yet finished */
  uint64_t calls;                   /* item and end callbacks made */
  uint64_t refused;                 /* of those, refused */
  uint64_t replies;                 /* reply callbacks made */
  uint64_t refused_replies;         /* of those, refused */
  uint64_t calls_after_unsubscribe; /* item calls made after an at-once unsubscribe returned */
};

typedef struct feed_subscription feed_subscription;

int feed_subscribe(feed_callback callback, void* user_data, const struct feed_config* config,
                   feed_subscription** subscription, struct feed_error* error);
void feed_unsubscribe(feed_subscription* subscription, enum feed_unsubscribe_mode mode);
int feed_submit(const struct feed_request* request, feed_reply_callback reply, void* user_data);
void feed_stats(struct feed_stats* stats);

#ifdef __cplusplus
}
#endif

#endif /* FEED_H_ */
