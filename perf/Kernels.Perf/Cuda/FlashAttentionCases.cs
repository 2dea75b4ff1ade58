using Kernels.Attention;
using Kernels.Cuda;
using Kernels.Perf.Attention;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;

namespace Kernels.Perf.Cuda;

/// <summary>
/// With a GPU: <see cref="CudaFlashAttention"/> forward and backward GFLOP/s for f16 and bf16, d = 64 and 128, seq 512..8192,
/// causal and not; FLOPs as the CPU attention group counts them (<see cref="AttentionProblem"/>: 4 b h s_q s_k d, halved
/// under a causal mask, backward 2.5x); the report sets them against <see cref="WmmaPeakProbe"/> of the same run. Planned only
/// when a GPU is present (<see cref="CudaGroup"/>).
/// NOTE: the GPU path has never run: the machine it was written on has no GPU.
/// </summary>
internal static class FlashAttentionCases
{
    private const int Repeats = 10;

    // heads x seq^2 = WorkSeq^2 (about 137 GFLOP a forward call at d = 128): seq 8192 still launches 128 query tiles x 4 heads.
    private const int WorkSeq = 16384;

    private static readonly ElementType F16 = new("f16", 2);

    public static IEnumerable<BenchmarkItem> All(BenchmarkContext context)
    {
        foreach (bool backward in new[] { false, true })
        foreach (ElementType type in new[] { F16, ElementType.BF16 })
        foreach (int headDim in new[] { 64, 128 })
            yield return new BenchmarkItem($"{CudaFamilies.Group}/attention/{(backward ? "backward" : "forward")}/{type.Name}/d{headDim}", 2,
                c => Run(c, type, headDim, backward));
    }

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context, ElementType type, int headDim, bool backward)
    {
        int[] seqs = context.Options.Quick ? [1024, 4096] : [512, 1024, 2048, 4096, 8192];
        using CudaDevice device = CudaDevice.Open(0);
        using CudaStream stream = CudaStream.Create(device);
        var rows = new List<Measurement>();
        foreach (int seq in seqs)
        foreach (bool causal in new[] { false, true })
        {
            var problem = new AttentionProblem(type, seq, headDim, causal, WorkSeq);
            double seconds = type == F16
                ? Time(device, stream, problem, backward, (Half)0.5f)
                : Time(device, stream, problem, backward, (BFloat16)0.5f);
            double flops = backward ? problem.BackwardFlops : problem.ForwardFlops;
            rows.Add(new Measurement(CudaFamilies.Group, backward ? CudaFamilies.AttentionBackward : CudaFamilies.AttentionForward,
                CudaFamilies.FlashAttention, type.Name, problem.QueryBytes, problem.Label, 1, seconds, 0, flops / seconds / 1e9, "GFLOP/s", null, Repeats));
        }
        return rows;
    }

    private static double Time<T>(CudaDevice device, CudaStream stream, AttentionProblem problem, bool backward, T value) where T : unmanaged
    {
        AttentionShape shape = problem.Shape;
        AttentionOptions options = problem.Options;
        using DeviceBuffer<T> q = FilledDeviceBuffer.Allocate(device, (int)shape.QueryLength, value);
        using DeviceBuffer<T> k = FilledDeviceBuffer.Allocate(device, (int)shape.KeyLength, value);
        using DeviceBuffer<T> v = FilledDeviceBuffer.Allocate(device, (int)shape.ValueLength, value);
        using DeviceBuffer<T> o = DeviceBuffer<T>.Allocate(device, (int)shape.OutputLength);
        using DeviceBuffer<float> lse = DeviceBuffer<float>.Allocate(device, (int)shape.RowCount);
        void Forward() => CudaFlashAttention.Forward(q, k, v, o, lse, shape, options, stream);
        if (!backward)
            return CudaEventTiming.SecondsPerCall(device, stream, Repeats, Forward, stream.Synchronize);

        Forward(); // the o and lse the backward reads
        using DeviceBuffer<T> dO = FilledDeviceBuffer.Allocate(device, (int)shape.OutputLength, value);
        using DeviceBuffer<T> dq = DeviceBuffer<T>.Allocate(device, (int)shape.QueryLength);
        using DeviceBuffer<T> dk = DeviceBuffer<T>.Allocate(device, (int)shape.KeyLength);
        using DeviceBuffer<T> dv = DeviceBuffer<T>.Allocate(device, (int)shape.ValueLength);
        return CudaEventTiming.SecondsPerCall(device, stream, Repeats,
            () => CudaFlashAttention.Backward(q, k, v, o, lse, dO, dq, dk, dv, shape, options, stream), stream.Synchronize);
    }
}
