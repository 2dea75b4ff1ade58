// kne_feedback: cuda/error_feedback.cu under the emulator.
#include "error_feedback.cu"

#include "kne_error.h"

extern "C" {

KNE_API kne_status kne_feedback(kne_feedback_step step, float* state, const float* a, const float* b, float* out,
                                uint64_t n, float eta, uint32_t grid_x, uint32_t block_x) {
  const kn::FeedbackArgs args{state, a, b, out, n, eta};
  const dim3 grid(grid_x), block(block_x);
  switch (step) {
    case KNE_FEEDBACK_DIFFERENCE: return kne::FromLaunch(emu_launch(kn::feedback_difference, grid, block, 0, args));
    case KNE_FEEDBACK_ACCUMULATE: return kne::FromLaunch(emu_launch(kn::feedback_accumulate, grid, block, 0, args));
    case KNE_FEEDBACK_STORE_RESIDUAL: return kne::FromLaunch(emu_launch(kn::feedback_store_residual, grid, block, 0, args));
    case KNE_FEEDBACK_ECONTROL_INPUTS: return kne::FromLaunch(emu_launch(kn::econtrol_inputs, grid, block, 0, args));
    case KNE_FEEDBACK_ACCUMULATE_INTO: return kne::FromLaunch(emu_launch(kn::feedback_accumulate_into, grid, block, 0, args));
  }
  return kne::Fail(KNE_INVALID_ARGUMENT, "kne_feedback: step = %d is not a kne_feedback_step", static_cast<int>(step));
}

KNE_API uint64_t kne_feedback_args_bytes(void) { return sizeof(kn::FeedbackArgs); }

}  // extern "C"
