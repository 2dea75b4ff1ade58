// Fiber scheduler of the CUDA emulator (see emu_scheduler.h for the model).
#include "emu_scheduler.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

// Dynamic shared memory of the block running on this OS thread (see cuda_emu.h).
alignas(16) thread_local unsigned char kn_dynamic_shared[cuda_emu::kMaxDynamicSharedBytes];

namespace cuda_emu {
namespace {

// Kernels keep a few hundred bytes of locals; 64 KiB leaves room for the C library and the
// scheduler calls below a fiber's frames. A PROT_NONE guard page turns an overflow into a crash
// at the overflow instead of silent corruption of the next stack.
constexpr size_t kStackBytes = 64 * 1024;
constexpr int kMaxThreadsPerBlock = 1024;

enum class FiberState { Runnable, AtBlockBarrier, AtWarpOp, Exited };

struct WarpArrival {
  WarpOp op;
  unsigned mask;
  uint64_t value;
  int lane_arg;
  int width;
  uint64_t result;
};

struct Fiber {
  ucontext_t context;
  FiberState state;
  uint3 index;
  WarpArrival warp;
};

const char* OpName(WarpOp op) {
  switch (op) {
    case WarpOp::Sync: return "__syncwarp";
    case WarpOp::Shfl: return "__shfl_sync";
    case WarpOp::ShflUp: return "__shfl_up_sync";
    case WarpOp::ShflDown: return "__shfl_down_sync";
    case WarpOp::ShflXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::Matrix: return "wmma::*_sync";
  }
  return "warp operation";
}

// One stack per thread of the block, reused by every block of the launch.
class FiberStacks {
 public:
  explicit FiberStacks(int count) : count_(count) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    stride_ = kStackBytes + page;
    base_ = mmap(nullptr, stride_ * count_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base_ == MAP_FAILED) {
      base_ = nullptr;
      return;
    }
    for (int i = 0; i < count_; ++i) mprotect(static_cast<char*>(base_) + i * stride_, page, PROT_NONE);
    page_ = page;
  }
  ~FiberStacks() {
    if (base_ != nullptr) munmap(base_, stride_ * count_);
  }
  FiberStacks(const FiberStacks&) = delete;
  FiberStacks& operator=(const FiberStacks&) = delete;

  bool ok() const { return base_ != nullptr; }
  void* stack(int i) const { return static_cast<char*>(base_) + i * stride_ + page_; }

 private:
  int count_;
  size_t stride_ = 0;
  size_t page_ = 0;
  void* base_ = nullptr;
};

// The launch in progress on this OS thread.
class GridRun {
 public:
  GridRun(const char* name, dim3 grid, dim3 block, void (*body)(void*), void* context)
      : name_(name), grid_(grid), block_(block), body_(body), context_(context),
        threads_(static_cast<int>(block.x * block.y * block.z)), stacks_(threads_), fibers_(threads_) {}

  LaunchResult Run(size_t dynamic_shared_bytes);

  void ParkAtBarrier();
  uint64_t ParkAtWarpOp(const WarpArrival& arrival);
  [[noreturn]] void Fail(std::string message);
  [[noreturn]] void TrapCurrent() { Fail(Where(current_) + ": __trap() called"); }

 private:
  static void FiberEntry();
  void StartBlock();
  bool RunBlock();
  void Resume(int t);
  void Park(FiberState state);
  bool ReleaseWarpGroups();
  bool ReleaseBlockBarrier();
  std::string DescribeStuck() const;
  std::string Where(int t) const;
  int LaneCount(int warp) const;
  void Complete(int warp, unsigned mask);

  const char* name_;
  dim3 grid_;
  dim3 block_;
  void (*body_)(void*);
  void* context_;
  int threads_;
  FiberStacks stacks_;
  std::vector<Fiber> fibers_;
  ucontext_t scheduler_{};
  int current_ = -1;
  bool failed_ = false;
  std::string error_;
};

thread_local GridRun* g_launch = nullptr;

std::string GridRun::Where(int t) const {
  const uint3& i = fibers_[t].index;
  char text[160];
  std::snprintf(text, sizeof text, "block (%u,%u,%u) thread (%u,%u,%u)", blockIdx.x, blockIdx.y, blockIdx.z, i.x,
                i.y, i.z);
  return text;
}

void GridRun::FiberEntry() {
  GridRun* launch = g_launch;
  launch->body_(launch->context_);
  launch->Park(FiberState::Exited);  // never resumed
}

void GridRun::Resume(int t) {
  current_ = t;
  threadIdx = fibers_[t].index;
  swapcontext(&scheduler_, &fibers_[t].context);
  current_ = -1;
}

void GridRun::Park(FiberState state) {
  Fiber& f = fibers_[current_];
  f.state = state;
  swapcontext(&f.context, &scheduler_);
}

void GridRun::ParkAtBarrier() { Park(FiberState::AtBlockBarrier); }

uint64_t GridRun::ParkAtWarpOp(const WarpArrival& arrival) {
  Fiber& f = fibers_[current_];
  const int lane = current_ % warpSize;
  if ((arrival.mask >> lane & 1u) == 0) {
    char text[96];
    std::snprintf(text, sizeof text, "%s with mask 0x%08x does not name the calling lane %d", OpName(arrival.op),
                  arrival.mask, lane);
    Fail(Where(current_) + ": " + text);
  }
  f.warp = arrival;
  Park(FiberState::AtWarpOp);
  return f.warp.result;
}

void GridRun::Fail(std::string message) {
  failed_ = true;
  error_ = std::move(message);
  Park(FiberState::Exited);  // the scheduler sees failed_ and abandons the block
  __builtin_unreachable();
}

int GridRun::LaneCount(int warp) const {
  const int first = warp * warpSize;
  return threads_ - first < warpSize ? threads_ - first : warpSize;
}

void GridRun::StartBlock() {
  for (int t = 0; t < threads_; ++t) {
    Fiber& f = fibers_[t];
    f.state = FiberState::Runnable;
    const unsigned linear = static_cast<unsigned>(t);
    f.index = uint3{linear % block_.x, linear / block_.x % block_.y, linear / (block_.x * block_.y)};
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = stacks_.stack(t);
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = nullptr;
    makecontext(&f.context, &GridRun::FiberEntry, 0);
  }
}

// Computes the results of a warp operation whose mask has fully arrived, then wakes its lanes.
void GridRun::Complete(int warp, unsigned mask) {
  Fiber* lanes = &fibers_[warp * warpSize];
  const WarpOp op = [&] {
    for (int l = 0; l < warpSize; ++l)
      if (mask >> l & 1u) return lanes[l].warp.op;
    return WarpOp::Sync;
  }();
  uint64_t ballot = 0;
  int votes = 0, members = 0;
  for (int l = 0; l < warpSize; ++l) {
    if ((mask >> l & 1u) == 0) continue;
    ++members;
    if (lanes[l].warp.value != 0) {
      ballot |= 1ull << l;
      ++votes;
    }
  }
  for (int l = 0; l < warpSize; ++l) {
    if ((mask >> l & 1u) == 0) continue;
    WarpArrival& a = lanes[l].warp;
    const int width = a.width;
    const int segment = l & ~(width - 1);
    const int in_segment = l - segment;
    int source = l;
    switch (op) {
      case WarpOp::Shfl: source = segment + (a.lane_arg & (width - 1)); break;
      case WarpOp::ShflUp: source = in_segment - a.lane_arg >= 0 ? l - a.lane_arg : l; break;
      case WarpOp::ShflDown: source = in_segment + a.lane_arg < width ? l + a.lane_arg : l; break;
      case WarpOp::ShflXor: source = (l ^ a.lane_arg) < segment + width ? l ^ a.lane_arg : l; break;
      case WarpOp::Matrix: source = 0; break;
      default: break;
    }
    switch (op) {
      case WarpOp::Sync: a.result = 0; break;
      case WarpOp::Ballot: a.result = ballot; break;
      case WarpOp::Any: a.result = votes > 0; break;
      case WarpOp::All: a.result = votes == members; break;
      default:
        if ((mask >> source & 1u) == 0) {
          char text[128];
          std::snprintf(text, sizeof text, "%s in lane %d reads lane %d, which is not in mask 0x%08x", OpName(op), l,
                        source, mask);
          failed_ = true;
          error_ = text;
          return;
        }
        a.result = lanes[source].warp.value;
        break;
    }
  }
  for (int l = 0; l < warpSize; ++l)
    if (mask >> l & 1u) lanes[l].state = FiberState::Runnable;
}

// Completes every warp operation whose mask names only lanes waiting at a warp operation with the
// same op and mask. A mask naming an exited or missing lane, or lanes disagreeing, is an error.
bool GridRun::ReleaseWarpGroups() {
  bool released = false;
  for (int warp = 0; warp * warpSize < threads_ && !failed_; ++warp) {
    Fiber* lanes = &fibers_[warp * warpSize];
    const int count = LaneCount(warp);
    for (int l = 0; l < count && !failed_; ++l) {
      if (lanes[l].state != FiberState::AtWarpOp) continue;
      const WarpArrival& a = lanes[l].warp;
      bool complete = true;
      for (int m = 0; m < warpSize && complete && !failed_; ++m) {
        if ((a.mask >> m & 1u) == 0) continue;
        char text[200];
        if (m >= count) {
          std::snprintf(text, sizeof text, "%s: %s mask 0x%08x names lane %d, which this block does not have",
                        Where(warp * warpSize + l).c_str(), OpName(a.op), a.mask, m);
          failed_ = true;
          error_ = text;
        } else if (lanes[m].state == FiberState::Exited) {
          std::snprintf(text, sizeof text, "%s: %s mask 0x%08x names lane %d, which has exited",
                        Where(warp * warpSize + l).c_str(), OpName(a.op), a.mask, m);
          failed_ = true;
          error_ = text;
        } else if (lanes[m].state != FiberState::AtWarpOp) {
          complete = false;
        } else if (lanes[m].warp.op != a.op || lanes[m].warp.mask != a.mask) {
          std::snprintf(text, sizeof text, "%s: lane %d is in %s (mask 0x%08x) while lane %d is in %s (mask 0x%08x)",
                        Where(warp * warpSize + l).c_str(), l, OpName(a.op), a.mask, m, OpName(lanes[m].warp.op),
                        lanes[m].warp.mask);
          failed_ = true;
          error_ = text;
        }
      }
      if (complete && !failed_) {
        Complete(warp, a.mask);
        released = true;
      }
    }
  }
  return released;
}

bool GridRun::ReleaseBlockBarrier() {
  bool any = false;
  for (const Fiber& f : fibers_) {
    if (f.state == FiberState::Exited) continue;
    if (f.state != FiberState::AtBlockBarrier) return false;
    any = true;
  }
  for (Fiber& f : fibers_)
    if (f.state == FiberState::AtBlockBarrier) f.state = FiberState::Runnable;
  return any;
}

std::string GridRun::DescribeStuck() const {
  int at_barrier = 0, at_warp = 0, exited = 0;
  for (const Fiber& f : fibers_) {
    at_barrier += f.state == FiberState::AtBlockBarrier;
    at_warp += f.state == FiberState::AtWarpOp;
    exited += f.state == FiberState::Exited;
  }
  char text[256];
  std::snprintf(text, sizeof text,
                "deadlock in block (%u,%u,%u): %d thread(s) wait at __syncthreads, %d at a warp operation "
                "whose lanes never all arrive, %d exited",
                blockIdx.x, blockIdx.y, blockIdx.z, at_barrier, at_warp, exited);
  return text;
}

// Runs one block to completion; false on a deadlock or an error.
bool GridRun::RunBlock() {
  StartBlock();
  for (;;) {
    bool live = false;
    for (int t = 0; t < threads_ && !failed_; ++t) {
      if (fibers_[t].state == FiberState::Runnable) Resume(t);
      live |= fibers_[t].state != FiberState::Exited;
    }
    if (failed_) return false;
    if (!live) return true;
    if (ReleaseWarpGroups()) continue;
    if (failed_) return false;
    if (ReleaseBlockBarrier()) continue;
    failed_ = true;
    error_ = DescribeStuck();
    return false;
  }
}

LaunchResult GridRun::Run(size_t dynamic_shared_bytes) {
  if (!stacks_.ok()) return {false, std::string("kernel ") + name_ + ": cannot map fiber stacks"};
  for (unsigned z = 0; z < grid_.z; ++z)
    for (unsigned y = 0; y < grid_.y; ++y)
      for (unsigned x = 0; x < grid_.x; ++x) {
        blockIdx = uint3{x, y, z};
        // Poison: a kernel that reads dynamic shared memory before writing it sees NaNs, not zeros.
        std::memset(kn_dynamic_shared, 0xFF, dynamic_shared_bytes);
        if (!RunBlock()) return {false, "kernel " + std::string(name_) + ": " + error_};
      }
  return {};
}

}  // namespace

void BlockBarrier() { g_launch->ParkAtBarrier(); }

uint64_t WarpCollective(WarpOp op, unsigned mask, uint64_t value, int lane_arg, int width) {
  return g_launch->ParkAtWarpOp(WarpArrival{op, mask, value, lane_arg, width, 0});
}

void Trap() { g_launch->TrapCurrent(); }

LaunchResult RunGrid(const char* kernel_name, dim3 grid, dim3 block, size_t dynamic_shared_bytes,
                     void (*body)(void*), void* context) {
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  char text[256];
  if (g_launch != nullptr) return {false, std::string("kernel ") + kernel_name + ": launched from inside a kernel"};
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535 || grid.x > 0x7FFFFFFFu ||
      threads == 0 || threads > kMaxThreadsPerBlock || block.z > 64) {
    std::snprintf(text, sizeof text, "kernel %s: invalid configuration grid (%u,%u,%u) block (%u,%u,%u)", kernel_name,
                  grid.x, grid.y, grid.z, block.x, block.y, block.z);
    return {false, text};
  }
  if (dynamic_shared_bytes > kMaxDynamicSharedBytes) {
    std::snprintf(text, sizeof text, "kernel %s: %zu bytes of dynamic shared memory exceed the %zu available",
                  kernel_name, dynamic_shared_bytes, kMaxDynamicSharedBytes);
    return {false, text};
  }
  GridRun launch(kernel_name, grid, block, body, context);
  gridDim = grid;
  blockDim = block;
  g_launch = &launch;
  LaunchResult result = launch.Run(dynamic_shared_bytes);
  g_launch = nullptr;
  return result;
}

}  // namespace cuda_emu
