using Kernels.Attention;
using Kernels.Perf.Core;

namespace Kernels.Perf.Attention;

/// <summary>
/// Packed variable-length batches (f32, causal): <see cref="FlashAttention.ForwardVarlen{T}"/>, whose query tiles of every
/// sequence and head share one parallel loop, against the same sequences as one <see cref="FlashAttention.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Span{float}, AttentionShape, AttentionOptions)"/>
/// call each, in turn on the same buffers. Two mixes: one long sequence among short ones, and many short sequences
/// (whose calls each stay below the threading threshold, so a loop of them runs on one core).
/// </summary>
internal static class PackedBatchCase
{
    private static readonly (string Name, int[] Lengths, int Heads, int HeadDim)[] Mixes =
    [
        ("long+short", [2048, 64, 64, 64, 64, 64, 64, 64, 64, 1, 17, 300], 8, 128),
        ("many-short", [.. Enumerable.Range(0, 64).Select(i => i * 37 % 120 + 1)], 2, 64),
    ];

    public static IEnumerable<BenchmarkItem> All(BenchmarkContext context)
    {
        foreach ((string name, int[] lengths, int heads, int headDim) in Mixes)
        {
            yield return new BenchmarkItem($"{AttentionFamilies.Group}/varlen/f32/{name}", 1.5, c => Run(c, name, lengths, heads, headDim));
        }
    }

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context, string name, int[] lengths, int heads, int headDim)
    {
        int total = lengths.Sum();
        int[] offsets = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++)
        {
            offsets[i + 1] = offsets[i] + lengths[i];
        }
        var packedHeads = new AttentionHeads(heads, heads, headDim);
        var whole = new AttentionShape(1, total, total, heads, heads, headDim);
        using var b = new AttentionBuffers(whole, sizeof(float), withGradients: false);
        int row = heads * headDim;

        void Packed() => FlashAttention.ForwardVarlen(b.Q.Span<float>(whole.QueryLength), b.K.Span<float>(whole.KeyLength),
            b.V.Span<float>(whole.ValueLength), b.O.Span<float>(whole.OutputLength), b.Lse.Span<float>(whole.RowCount),
            offsets, offsets, packedHeads, AttentionOptions.CausalMask);

        void PerSequence()
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                int start = offsets[i], n = lengths[i];
                var shape = new AttentionShape(1, n, n, heads, heads, headDim);
                FlashAttention.Forward(b.Q.Span<float>(whole.QueryLength).Slice(start * row, n * row),
                    b.K.Span<float>(whole.KeyLength).Slice(start * row, n * row), b.V.Span<float>(whole.ValueLength).Slice(start * row, n * row),
                    b.O.Span<float>(whole.OutputLength).Slice(start * row, n * row), b.Lse.Span<float>(whole.RowCount).Slice(start * heads, n * heads),
                    shape, AttentionOptions.CausalMask);
            }
        }

        IReadOnlyList<Timing> t = MedianTimer.MeasureInTurns([Packed, PerSequence], AttentionTiming.For(context));
        // Causal FLOPs: 4 h s^2 d / 2 per sequence.
        double flops = lengths.Sum(n => 2.0 * heads * (double)n * n * headDim);
        string label = $"{name}: {lengths.Length} sequences, {total} tokens, h={heads} d={headDim} causal";
        long bytes = whole.QueryLength * sizeof(float);
        return
        [
            new(AttentionFamilies.Group, AttentionFamilies.Varlen, AttentionFamilies.PackedOneLoop, "f32", bytes, label, context.Threads,
                t[0].MedianSeconds, 0, flops / t[0].MedianSeconds / 1e9, "GFLOP/s", null, t[0].Calls),
            new(AttentionFamilies.Group, AttentionFamilies.Varlen, AttentionFamilies.PerSequence, "f32", bytes, label, context.Threads,
                t[1].MedianSeconds, 0, flops / t[1].MedianSeconds / 1e9, "GFLOP/s", null, t[1].Calls),
        ];
    }
}
