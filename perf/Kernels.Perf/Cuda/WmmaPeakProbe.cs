using System.Runtime.InteropServices;
using Kernels.Cuda;
using Kernels.Perf.Core;

namespace Kernels.Perf.Cuda;

/// <summary>
/// The device's tensor-core (WMMA 16x16x16, fp32 accumulate) GFLOP/s for f16 and bf16 inputs: every warp runs a chain of
/// independent mma_sync on fragments held in registers, no memory traffic in the loop; the limit the FlashAttention GFLOP/s
/// are a fraction of (the same instruction shape the attention kernels use). Planned only when a GPU is present.
/// NOTE: the GPU path has never run: the machine it was written on has no GPU (the kernel compiles with NVRTC for compute_80/90).
/// </summary>
internal static class WmmaPeakProbe
{
    private const int Iterations = 4096;
    private const int Chains = 4;
    private const uint WarpsPerBlock = 8;
    private const int BlocksPerMultiprocessor = 8;
    private const int Repeats = 5;

    // Chains independent accumulators hide the mma latency; the sums are stored so the compiler keeps every product.
    internal static readonly CudaProgramSource Source = new("wmma_peak.cu", """
        #include <cuda_bf16.h>
        #include <cuda_fp16.h>
        #include <mma.h>
        using namespace nvcuda;

        struct WmmaPeakArgs {
          float* out;      // (warps, 16 * 16)
          int iterations;
        };

        template <typename In>
        __global__ void wmma_peak(WmmaPeakArgs args) {
          wmma::fragment<wmma::matrix_a, 16, 16, 16, In, wmma::row_major> a;
          wmma::fragment<wmma::matrix_b, 16, 16, 16, In, wmma::col_major> b;
          wmma::fragment<wmma::accumulator, 16, 16, 16, float> c[4];
          wmma::fill_fragment(a, In(0.001f));
          wmma::fill_fragment(b, In(0.001f));
          for (int j = 0; j < 4; ++j) wmma::fill_fragment(c[j], 0.0f);
          for (int i = 0; i < args.iterations; ++i)
            for (int j = 0; j < 4; ++j) wmma::mma_sync(c[j], a, b, c[j]);
          for (int j = 1; j < 4; ++j)
            for (int e = 0; e < c[0].num_elements; ++e) c[0].x[e] += c[j].x[e];
          const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
          wmma::store_matrix_sync(args.out + warp * 256, c[0], 16, wmma::mem_row_major);
        }
        """, new Dictionary<string, string>(), ["wmma_peak<__half>", "wmma_peak<__nv_bfloat16>"]);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct WmmaPeakArgs(ulong Out, int Iterations);

    public static BenchmarkItem Item() => new($"{CudaFamilies.Group}/wmma-peak", 2, Run);

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context)
    {
        using CudaDevice device = CudaDevice.Open(0);
        using CudaStream stream = CudaStream.Create(device);
        using CudaModule module = CudaModule.Load(device, new NvrtcCompiler().Compile(Source, device.ComputeCapability.AsVirtual()));
        uint blocks = (uint)(device.MultiprocessorCount * BlocksPerMultiprocessor);
        int warps = (int)(blocks * WarpsPerBlock);
        using DeviceBuffer<float> output = DeviceBuffer<float>.Allocate(device, warps * 256);
        var launch = CudaLaunchShape.Linear(blocks, WarpsPerBlock * 32);
        double flops = (double)warps * Iterations * Chains * 2 * 16 * 16 * 16;
        var rows = new List<Measurement>();
        foreach ((string dtype, string kernel) in new[] { ("f16", "wmma_peak<__half>"), ("bf16", "wmma_peak<__nv_bfloat16>") })
        {
            CudaKernel function = module.GetKernel(kernel);
            double seconds = CudaEventTiming.SecondsPerCall(device, stream, Repeats,
                () => function.Launch(stream, launch, new WmmaPeakArgs(output.Pointer, Iterations)), stream.Synchronize);
            rows.Add(new Measurement(CudaFamilies.Group, CudaFamilies.WmmaPeak, "mma_sync 16x16x16", dtype, 0, $"{warps} warps x {Iterations * Chains}",
                1, seconds, 0, flops / seconds / 1e9, "GFLOP/s", null, Repeats));
        }
        return rows;
    }
}
