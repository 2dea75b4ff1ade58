// gloo_peer.cpp — see gloo_peer.h.
#include "gloo_peer.h"

#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "gloo/allreduce_ring.h"
#include "gloo/config.h"
#include "gloo/rendezvous/context.h"
#include "gloo/rendezvous/file_store.h"
#include "gloo/transport/tcp/device.h"

struct kpg_context {
  std::shared_ptr<gloo::rendezvous::Context> gloo;
};

struct kpg_allreduce {
  std::unique_ptr<gloo::AllreduceRing<float>> ring;
};

namespace {

thread_local std::string last_error;

const std::string kLibrary = "Gloo " + std::to_string(GLOO_VERSION_MAJOR) + "." + std::to_string(GLOO_VERSION_MINOR) + "." +
                             std::to_string(GLOO_VERSION_PATCH) + " (tcp, 127.0.0.1)";

// Gloo reports every failure by exception; none may cross the C boundary.
template <typename Body>
auto Guard(Body&& body, decltype(body()) failed) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    last_error = e.what();
  } catch (...) {
    last_error = "unknown exception";
  }
  return failed;
}

}  // namespace

extern "C" {

const char* kpg_library_version(void) { return kLibrary.c_str(); }

const char* kpg_last_error(void) { return last_error.c_str(); }

kpg_context* kpg_connect(int32_t rank, int32_t size, const char* rendezvous_dir) {
  return Guard(
      [&]() -> kpg_context* {
        gloo::transport::tcp::attr attr("127.0.0.1");
        auto device = gloo::transport::tcp::CreateDevice(attr);
        gloo::rendezvous::FileStore store(rendezvous_dir);
        auto context = std::make_shared<gloo::rendezvous::Context>(rank, size);
        context->connectFullMesh(store, device);
        return new kpg_context{context};
      },
      nullptr);
}

void kpg_close(kpg_context* context) { delete context; }

kpg_allreduce* kpg_allreduce_ring_create(kpg_context* context, float* data, size_t count) {
  return Guard(
      [&]() -> kpg_allreduce* {
        return new kpg_allreduce{std::make_unique<gloo::AllreduceRing<float>>(
            context->gloo, std::vector<float*>{data}, static_cast<int>(count), gloo::ReductionFunction<float>::sum)};
      },
      nullptr);
}

int32_t kpg_allreduce_run(kpg_allreduce* allreduce) {
  return Guard(
      [&]() -> int32_t {
        allreduce->ring->run();
        return 0;
      },
      1);
}

void kpg_allreduce_free(kpg_allreduce* allreduce) { delete allreduce; }

}  // extern "C"
