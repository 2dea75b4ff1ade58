// System-scope memory operations for kernels that several emulated GPUs run at once, one OS thread
// per GPU (cuda/fused_allreduce_norm.cu under kne_fused_allreduce_norm): the "peer memory" is
// ordinary host memory shared by those threads. __threadfence_system is a real sequentially
// consistent fence here (the kernels pair it with volatile flag stores and loads, which g++ never
// caches in registers), and __nanosleep really sleeps, so a rank polling a flag leaves the cores
// to the ranks that will write it.
#ifndef CUDA_EMU_SYSTEM_SCOPE_H_
#define CUDA_EMU_SYSTEM_SCOPE_H_

#include <atomic>
#include <chrono>
#include <thread>

inline void __threadfence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void __nanosleep(unsigned ns) { std::this_thread::sleep_for(std::chrono::nanoseconds(ns)); }

#endif  // CUDA_EMU_SYSTEM_SCOPE_H_
