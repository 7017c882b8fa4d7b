// Chapter 0: the 2011 texample design with its bugs kept on purpose, so that the report can
// measure what they do. Chapter 1 is the same design with the bugs fixed; read the two side by
// side. Each bug is marked "BUG:" where it lives.
//
// Differences from 2011 that are not fixes: the libev-style shim instead of <ev.h> (Node has no
// libev any more), nan instead of the 2011 V8 API, the producer's pace and count taken from
// start()'s options, and an idle timer that settles start()'s promise so that the harness can
// run this chapter in a bounded way. The watcher itself is never stopped, as in 2011.
#include <nan.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <queue>
#include <thread>

#include "ev_shim.h"
#include "producer.h"

namespace {

// excerpt-begin: globals
// BUG: process-wide globals. Every environment that loaded the addon would share them, and they
// outlive the environment that filled them; so this addon refuses to load a second time (a
// worker_thread), where the 2011 one was simply not context-aware.
struct Message {
  uint64_t value;
  uint64_t sent_ns;
};
ev_async texample_notifier;
std::queue<Message> message_queue;
std::mutex queue_mutex;
Nan::Persistent<v8::Object> module_handle;
v8::Isolate* owner_isolate = nullptr;
struct ev_loop* owner_loop = nullptr;

std::atomic<uint64_t> sent{0};  // producer thread
std::atomic<bool> stop_asked{false};
std::atomic<bool> producer_finished{false};
uint64_t delivered = 0;  // main thread
uint64_t wakeups = 0;    // main thread: one callback, at most one item
bool stamp = false;
// excerpt-end: globals

// Main-thread bookkeeping for the bounded run: settle start()'s promise once the producer is
// done and no wake-up came for a while. Not part of the 2011 design.
Nan::Persistent<v8::Function> on_done;
uv_timer_t idle_timer;
constexpr uint64_t kIdleMs = 100;

// excerpt-begin: thread
// Producer thread. BUG: started with no way to stop it and never joined: it runs detached.
void TheThread(texample::StreamOptions options) {
  const uint64_t start = uv_hrtime();
  for (uint64_t i = 0; i < options.count && !stop_asked.load(); ++i) {
    if (options.period_ns != 0) {
      const uint64_t due = start + (i + 1) * options.period_ns;
      const uint64_t now = uv_hrtime();
      if (due > now) std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
    }
    {
      std::lock_guard<std::mutex> lock(queue_mutex);
      message_queue.push({i, options.stamp ? uv_hrtime() : 0});
    }
    sent.fetch_add(1);
    ev_async_send(owner_loop, &texample_notifier);
  }
  producer_finished.store(true);
  ev_async_send(owner_loop, &texample_notifier);
}
// excerpt-end: thread

// excerpt-begin: callback
// Main thread. BUG: reads the queue's front without taking the lock, while the producer pushes.
// BUG: takes one item per wake-up although sends coalesce: N sends can give one callback, and
// the items left behind wait for a later send, which never comes once the producer has stopped.
void Callback(EV_P_ ev_async* watcher, int revents) {
  (void)loop;
  (void)watcher;
  (void)revents;
  uv_timer_again(&idle_timer);
  Nan::HandleScope scope;
  v8::Local<v8::Object> module = Nan::New(module_handle);
  v8::Local<v8::Value> callback_v =
      Nan::Get(module, Nan::New("callback").ToLocalChecked()).ToLocalChecked();
  if (!callback_v->IsFunction()) return;          // no callback: the item waits for a later wake-up
  if (message_queue.empty()) return;              // BUG: unlocked read
  const Message message = message_queue.front();  // BUG: unlocked read
  {
    std::lock_guard<std::mutex> lock(queue_mutex);
    message_queue.pop();
  }
  v8::Local<v8::Value> argv[] = {Nan::New<v8::Number>(double(message.value)),
                                 Nan::New<v8::Number>(double(message.sent_ns))};
  ++delivered;
  ++wakeups;
  Nan::TryCatch try_catch;
  Nan::Call(callback_v.As<v8::Function>(), module, stamp ? 2 : 1, argv);
  if (try_catch.HasCaught()) Nan::FatalException(try_catch);
}
// excerpt-end: callback

// What is left in the queue, read under the lock (this is bookkeeping, not the 2011 code).
uint64_t Stranded() {
  std::lock_guard<std::mutex> lock(queue_mutex);
  return message_queue.size();
}

v8::Local<v8::Object> StatsObject() {
  v8::Local<v8::Object> stats = Nan::New<v8::Object>();
  auto set = [&](const char* name, uint64_t value) {
    Nan::Set(stats, Nan::New(name).ToLocalChecked(), Nan::New<v8::Number>(double(value)));
  };
  set("sent", sent.load());
  set("delivered", delivered);
  set("dropped", 0);  // the 2011 design counts nothing it loses
  set("stranded", Stranded());
  set("wakeups", wakeups);
  set("maxItemsPerWakeup", delivered ? 1 : 0);
  set("peakQueueDepth", 0);
  return stats;
}

// Main thread: no wake-up for kIdleMs. Once the producer is done, the run is over: settle.
void OnIdle(uv_timer_t* timer) {
  if (!producer_finished.load()) return;
  uv_timer_stop(timer);
  uv_unref(reinterpret_cast<uv_handle_t*>(timer));
  Nan::HandleScope scope;
  v8::Local<v8::Function> done = Nan::New(on_done);
  on_done.Reset();
  v8::Local<v8::Value> argv[] = {StatsObject()};
  Nan::AsyncResource resource("texample-original");
  resource.runInAsyncScope(Nan::GetCurrentContext()->Global(), done, 1, argv);
}

double NumberField(v8::Local<v8::Object> object, const char* name) {
  return Nan::To<double>(Nan::Get(object, Nan::New(name).ToLocalChecked()).ToLocalChecked())
      .FromJust();
}

// excerpt-begin: start
// start(module, options, onDone). The watcher is started once and never stopped (BUG: it keeps
// the process alive for ever); the thread is created and detached.
NAN_METHOD(Start) {
  if (!on_done.IsEmpty()) return Nan::ThrowError("the 2011 design runs one stream per process");
  v8::Local<v8::Object> options = info[1].As<v8::Object>();
  texample::StreamOptions stream;
  const double count = NumberField(options, "count");
  stream.count = count == INFINITY ? texample::StreamOptions::kForever : uint64_t(count);
  stream.period_ns = uint64_t(NumberField(options, "periodNs"));
  stream.stamp = stamp =
      Nan::To<bool>(Nan::Get(options, Nan::New("stamp").ToLocalChecked()).ToLocalChecked())
          .FromJust();
  module_handle.Reset(info[0].As<v8::Object>());
  on_done.Reset(info[2].As<v8::Function>());
  uv_timer_init(owner_loop->uv, &idle_timer);
  uv_timer_start(&idle_timer, OnIdle, kIdleMs, kIdleMs);
  ev_async_init(&texample_notifier, Callback);
  ev_async_start(owner_loop, &texample_notifier);
  std::thread(TheThread, stream).detach();
}
// excerpt-end: start

// Not in 2011: asks the thread to stop at its next item. Nothing joins it.
NAN_METHOD(Stop) { stop_asked.store(true); }

NAN_METHOD(Stats) { info.GetReturnValue().Set(StatsObject()); }

NAN_MODULE_INIT(Init) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  if (owner_isolate != nullptr && owner_isolate != isolate) {
    return Nan::ThrowError(
        "chapter 0 keeps its state in process-wide globals, as the 2011 addon did, and cannot be "
        "loaded in a second environment (worker_threads): see chapter 1");
  }
  owner_isolate = isolate;
  owner_loop = ev_default_loop_bind(node::GetCurrentEventLoop(isolate));
  Nan::SetMethod(target, "start", Start);
  Nan::SetMethod(target, "stop", Stop);
  Nan::SetMethod(target, "stats", Stats);
}

}  // namespace

NAN_MODULE_WORKER_ENABLED(texample, Init)
