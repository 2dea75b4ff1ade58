using Kernels.Perf.Core;

namespace Kernels.Perf.Kernels;

/// <summary>Which pool buffer plays which role in a kernel case; every contender of a case uses the same ones.</summary>
public static class CaseBuffers
{
    public static NativeBuffer First(BenchmarkContext context, long bytes) => context.Buffers.Get(0, bytes);
    public static NativeBuffer Second(BenchmarkContext context, long bytes) => context.Buffers.Get(1, bytes);
    public static NativeBuffer Destination(BenchmarkContext context, long bytes) => context.Buffers.Get(2, bytes);
    /// <summary>Only ORT's add+RMSNorm needs it: it writes the sum to a separate output.</summary>
    public static NativeBuffer SeparateSum(BenchmarkContext context, long bytes) => context.Buffers.Get(3, bytes);
    public static NativeBuffer Weight(BenchmarkContext context, long bytes) => context.Buffers.Get(4, bytes);
}
