using Kernels.Attention;
using Kernels.Perf.Core;

namespace Kernels.Perf.Attention;

/// <summary>The tensors of one case in native memory (shared by every contender, so all read the same addresses), disposed with the case.</summary>
internal sealed class AttentionBuffers : IDisposable
{
    private readonly List<NativeBuffer> _all = [];

    public AttentionBuffers(AttentionShape shape, int elementSize, bool withGradients)
    {
        Q = Add(shape.QueryLength * elementSize);
        K = Add(shape.KeyLength * elementSize);
        V = Add(shape.ValueLength * elementSize);
        O = Add(shape.OutputLength * elementSize);
        Lse = Add(shape.RowCount * sizeof(float));
        if (withGradients)
        {
            DO = Add(shape.OutputLength * elementSize);
            DQ = Add(shape.QueryLength * elementSize);
            DK = Add(shape.KeyLength * elementSize);
            DV = Add(shape.ValueLength * elementSize);
        }
    }

    public NativeBuffer Q { get; }
    public NativeBuffer K { get; }
    public NativeBuffer V { get; }
    public NativeBuffer O { get; }
    public NativeBuffer Lse { get; }
    public NativeBuffer? DO { get; }
    public NativeBuffer? DQ { get; }
    public NativeBuffer? DK { get; }
    public NativeBuffer? DV { get; }

    public void Dispose()
    {
        foreach (NativeBuffer buffer in _all)
        {
            buffer.Dispose();
        }
    }

    private NativeBuffer Add(long bytes)
    {
        var buffer = new NativeBuffer(Math.Max(bytes, 64), seed: 0x2545F491u * (uint)(_all.Count + 1));
        _all.Add(buffer);
        return buffer;
    }
}
