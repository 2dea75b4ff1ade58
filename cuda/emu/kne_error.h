// Thread-local last error of libkernels_cuda_emu and the conversion of a launch result to a status.
#ifndef KNE_ERROR_H_
#define KNE_ERROR_H_

#include "emu_scheduler.h"
#include "kernels_cuda_emu.h"

namespace kne {

kne_status Fail(kne_status status, const char* format, ...) __attribute__((format(printf, 2, 3)));
kne_status FromLaunch(const cuda_emu::LaunchResult& result);

}  // namespace kne

#endif  // KNE_ERROR_H_
