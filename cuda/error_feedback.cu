// The element-wise fp32 steps of the error-feedback layers (managed/Kernels/Compression:
// ResidualArithmetic, Ef21Feedback, EControlFeedback) with the CPU's bits: each element is one or two
// IEEE operations in the CPU's order, NaN results as x86 gives them (first NaN operand quieted,
// default NaN for an invalid operation), negation as a sign-bit flip.
#include "float_storage.cuh"

namespace kn {

// Kernel parameters, passed by value. Which pointers a kernel reads or writes is stated at the kernel;
// every kernel reads and writes each element from one thread, so in-place use is safe.
struct FeedbackArgs {
  float* state;              // the updated array (estimate h, error e, residual or receiver state)
  const float* a;
  const float* b;
  float* out;
  unsigned long long n;
  float eta;                 // EControl's eta; econtrol_inputs only
};

__device__ __forceinline__ float SubLikeCpu(float a, float b) { return CpuNaN(a, b, a - b); }
__device__ __forceinline__ float NegateLikeCpu(float v) { return __uint_as_float(__float_as_uint(v) ^ 0x80000000u); }

#define KN_FOR_EACH_ELEMENT(i)                                                                                       \
  for (unsigned long long i = static_cast<unsigned long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < args.n; \
       i += static_cast<unsigned long long>(gridDim.x) * blockDim.x)

// EF21's compressor input: out = a - b (g - h).
__global__ void __launch_bounds__(256) feedback_difference(FeedbackArgs args) {
  KN_FOR_EACH_ELEMENT(i) args.out[i] = SubLikeCpu(args.a[i], args.b[i]);
}

// state = state + a (h += decompressed).
__global__ void __launch_bounds__(256) feedback_accumulate(FeedbackArgs args) {
  KN_FOR_EACH_ELEMENT(i) args.state[i] = AddLikeCpu(args.state[i], args.a[i]);
}

// state = -(b - a): the residual of compensated a and decompressed b (c - d, -0 where d reproduces c).
__global__ void __launch_bounds__(256) feedback_store_residual(FeedbackArgs args) {
  KN_FOR_EACH_ELEMENT(i) args.state[i] = NegateLikeCpu(SubLikeCpu(args.b[i], args.a[i]));
}

// EControl, with state = e, a = g, b = h: out = eta * e + g - h (the compressor input) and
// state = e + g - h (the innovation, before the residual step), both left to right.
__global__ void __launch_bounds__(256) econtrol_inputs(FeedbackArgs args) {
  KN_FOR_EACH_ELEMENT(i) {
    const float e = args.state[i], g = args.a[i], h = args.b[i];
    args.out[i] = SubLikeCpu(AddLikeCpu(MulLikeCpu(args.eta, e), g), h);
    args.state[i] = SubLikeCpu(AddLikeCpu(e, g), h);
  }
}

// The receiver's running estimate: out = state + out, then state = out.
__global__ void __launch_bounds__(256) feedback_accumulate_into(FeedbackArgs args) {
  KN_FOR_EACH_ELEMENT(i) {
    const float sum = AddLikeCpu(args.state[i], args.out[i]);
    args.out[i] = sum;
    args.state[i] = sum;
  }
}

#undef KN_FOR_EACH_ELEMENT

}  // namespace kn
