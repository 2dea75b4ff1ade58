// The emulator's execution model: a grid runs block after block on the calling OS thread; the
// threads of a block are fibers that run one at a time until they finish or wait at a barrier or
// a warp operation. When no fiber can run, the scheduler completes every warp operation whose
// mask has fully arrived, else releases the block barrier if every live thread waits on it, else
// reports a deadlock naming the kernel. Errors come back as a LaunchResult, never as an abort.
#ifndef CUDA_EMU_SCHEDULER_H_
#define CUDA_EMU_SCHEDULER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "emu_vector_types.h"

// The built-in index variables. thread_local because emulated launches on different OS threads are
// independent; within one OS thread the scheduler rewrites threadIdx before it resumes each fiber.
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
constexpr int warpSize = 32;

namespace cuda_emu {

// What a launch reports: ok, or the reason it stopped (bad configuration, deadlock, misuse of a
// warp operation, __trap). On failure, memory holds whatever the threads had written so far.
struct LaunchResult {
  bool ok = true;
  std::string message;
};

// Largest dynamic shared memory a launch may request: the sm_90 per-block maximum (227 KiB).
constexpr size_t kMaxDynamicSharedBytes = 227 * 1024;

// The warp operations the scheduler completes once every lane named by the mask has arrived.
// Matrix is a WMMA *_sync call (mma.h): every lane receives lane 0's value.
enum class WarpOp { Sync, Shfl, ShflUp, ShflDown, ShflXor, Ballot, Any, All, Matrix };

// Called by __syncthreads: parks the calling fiber until the block barrier is released.
void BlockBarrier();

// Called by the warp intrinsics: parks the calling fiber until every lane of `mask` has arrived at a
// warp operation, then returns this lane's result. `value` is the lane's operand (a shuffle's bits,
// or a vote's predicate), `lane_arg` the source lane, delta or xor mask of a shuffle.
uint64_t WarpCollective(WarpOp op, unsigned mask, uint64_t value, int lane_arg, int width);

// Called by __trap: ends the launch with an error naming the thread.
[[noreturn]] void Trap();

// Runs `body` once per thread of the grid; body(context) calls the kernel with its arguments.
LaunchResult RunGrid(const char* kernel_name, dim3 grid, dim3 block, size_t dynamic_shared_bytes,
                     void (*body)(void*), void* context);

// Launches `kernel` like kernel<<<grid, block, dynamic_shared_bytes>>>(args...). The arguments are
// converted to the kernel's parameter types once, as CUDA builds its argument block, and every
// thread receives its own copy.
template <class... Params, class... Args>
LaunchResult Launch(const char* kernel_name, void (*kernel)(Params...), dim3 grid, dim3 block,
                    size_t dynamic_shared_bytes, Args&&... args) {
  static_assert(sizeof...(Params) == sizeof...(Args), "argument count differs from the kernel's");
  struct Call {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> arguments;
  } call{kernel, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  return RunGrid(kernel_name, grid, block, dynamic_shared_bytes,
                 [](void* context) {
                   auto* c = static_cast<Call*>(context);
                   auto arguments = c->arguments;  // per-thread copy: parameters are thread-private
                   std::apply(c->kernel, arguments);
                 },
                 &call);
}

// The kernel's name with its template arguments resolved ("kn::f<kn::F16Storage>"), as the compiler
// spells the function it was instantiated with.
template <auto Kernel>
std::string KernelName() {
  const std::string signature = __PRETTY_FUNCTION__;  // "... [with auto Kernel = kn::f<...>; ...]"
  const size_t start = signature.find("Kernel = ") + 9;
  return signature.substr(start, signature.find_first_of(";]", start) - start);
}

}  // namespace cuda_emu

// emu_launch(kernel, grid, block, dynamicSharedBytes, args...), the emulator's kernel<<<...>>>(args...).
// Wrap a template-id holding commas in parentheses: emu_launch((f<A, B>), ...).
#define emu_launch(kernel, ...) ::cuda_emu::Launch(::cuda_emu::KernelName<kernel>().c_str(), kernel, __VA_ARGS__)

#endif  // CUDA_EMU_SCHEDULER_H_
