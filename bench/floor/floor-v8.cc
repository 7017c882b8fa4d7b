// The JS-call floor through V8's own API, for addons that call V8 directly (nan, chapters 0 and 1)
// rather than through Node-API (floor.cc): same loop, same callback.
//   callMany(callback, n, callsPerScope) -> elapsed nanoseconds
#include <nan.h>

#include <algorithm>
#include <cstdint>

namespace {

NAN_METHOD(CallMany) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::Local<v8::Function> callback = info[0].As<v8::Function>();
  const int64_t n = Nan::To<int64_t>(info[1]).FromJust();
  const int64_t calls_per_scope = Nan::To<int64_t>(info[2]).FromJust();
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Value> receiver = Nan::Undefined();
  const uint64_t start = uv_hrtime();
  for (int64_t i = 0; i < n;) {
    v8::HandleScope scope(isolate);
    for (int64_t end = std::min(n, i + calls_per_scope); i < end; ++i) {
      v8::Local<v8::Value> argv[] = {v8::Number::New(isolate, static_cast<double>(i))};
      if (callback->Call(context, receiver, 1, argv).IsEmpty()) {
        return;  // the callback threw: let the exception propagate to JS
      }
    }
  }
  info.GetReturnValue().Set(static_cast<double>(uv_hrtime() - start));
}

NAN_MODULE_INIT(Init) { Nan::SetMethod(target, "callMany", CallMany); }

}  // namespace

NAN_MODULE_WORKER_ENABLED(floor_v8, Init)
