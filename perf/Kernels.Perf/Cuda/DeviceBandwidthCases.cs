using Kernels.Compression;
using Kernels.Cuda;
using Kernels.Perf.Core;

namespace Kernels.Perf.Cuda;

/// <summary>
/// With a GPU: each device kernel's GB/s (bytes it must move / event-timed median) against the device's copy bandwidth, measured
/// in the same run by the f32 -> f32 convert kernel (one read and one write per element, as a device-to-device copy). Without a
/// GPU: one row whose note says why, and nothing else. NOTE: the GPU path has never run: the machine it was written on has no GPU.
/// </summary>
internal static class DeviceBandwidthCases
{
    private const int Repeats = 20;
    private const int Hidden = 4096;

    public static BenchmarkItem Item(BenchmarkContext context) => new($"{CudaFamilies.Group}/device", 5, Run);

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context)
    {
        if (CudaDevicePresence.Count(out string reason) == 0)
            return [NoGpu(reason)];
        using CudaDevice device = CudaDevice.Open(0);
        return Measure(device, context.Options.Quick ? 16 << 20 : 64 << 20);
    }

    private static Measurement NoGpu(string reason) =>
        new(CudaFamilies.Group, CudaFamilies.Device, "", "", 0, "", 1, double.NaN, 0, double.NaN, "GB/s", null, 0,
            $"No GPU here ({reason}): device kernels, WMMA peak, FlashAttention and multi-GPU collectives not timed; compile, cache and ptxas figures only.");

    private static IReadOnlyList<Measurement> Measure(CudaDevice device, int n)
    {
        using CudaStream stream = CudaStream.Create(device);
        using DeviceBuffer<float> a = FilledDeviceBuffer.Allocate(device, n, 0.5f), b = FilledDeviceBuffer.Allocate(device, n, -0.25f), destination = DeviceBuffer<float>.Allocate(device, n);
        using DeviceBuffer<float> residual = FilledDeviceBuffer.Allocate(device, n, 0.01f), weight = FilledDeviceBuffer.Allocate(device, Hidden, 1f);
        using DeviceBuffer<uint> signs = DeviceBuffer<uint>.Allocate(device, CudaOneBit.SignWords(n));
        using DeviceBuffer<float> scales = DeviceBuffer<float>.Allocate(device, CudaOneBit.Chunks(n, 2048));
        long f32 = 4L * n, signBytes = 4L * signs.Length;
        string shape = $"{n / (1 << 20)}M f32", dtype = "f32";
        var cases = new (string Family, long Bytes, Action Call)[]
        {
            (CudaFamilies.DeviceCopy, 2 * f32, () => CudaConversion.Convert(a, destination, stream)),
            ("reduce.combine", 3 * f32, () => CudaReduce.Combine(a, b, destination, ReduceOp.Sum, stream)),
            ($"rmsnorm (hidden {Hidden})", 2 * f32, () => CudaRmsNorm.Normalize(a, weight, destination, Hidden, 1e-6f, stream)),
            ($"add_rmsnorm (hidden {Hidden})", 4 * f32, () => CudaRmsNorm.AddRmsNorm(a, residual, weight, destination, Hidden, 1e-6f, stream)),
            ("onebit.compress_ef", 3 * f32 + signBytes, () => CudaOneBit.CompressWithResidual(a, residual, signs, scales, 2048, OneBitScale.MeanAbs, stream)),
            ("onebit.decompress", f32 + signBytes, () => CudaOneBit.Decompress(signs, scales, destination, 2048, stream)),
        };
        var rows = new List<Measurement>();
        foreach (var (family, bytes, call) in cases)
        {
            double seconds = CudaEventTiming.SecondsPerCall(device, stream, Repeats, call, stream.Synchronize);
            rows.Add(new Measurement(CudaFamilies.Group, CudaFamilies.DeviceBandwidth, family, dtype, f32, shape, 1, seconds, bytes,
                bytes / seconds / 1e9, "GB/s", null, Repeats));
        }
        return rows;
    }
}
