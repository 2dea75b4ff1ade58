using Kernels.Attention;
using Kernels.Perf.Core;

namespace Kernels.Perf.Attention;

/// <summary>
/// Batch-1 decode: one query row per head (32 query heads over 8 kv heads, d = 128, f32) against a long KV cache, with
/// split-KV (the library's choice for a dense output) and without: the same call with an output whose batch stride is not
/// dense, which the library runs in one pass (a single query tile per head, so at most 32 tiles over the cores).
/// </summary>
internal static class DecodeCase
{
    private const int Heads = 32, KvHeads = 8, HeadDim = 128;

    public static IEnumerable<BenchmarkItem> All(BenchmarkContext context)
    {
        foreach (int seqK in context.Options.Quick ? [4096] : new[] { 4096, 16384 })
        {
            yield return new BenchmarkItem($"{AttentionFamilies.Group}/decode/f32/{seqK}", 1.5, c => Run(c, seqK));
        }
    }

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context, int seqK)
    {
        var shape = new AttentionShape(1, 1, seqK, Heads, KvHeads, HeadDim);
        using var b = new AttentionBuffers(shape, sizeof(float), withGradients: false);
        AttentionStrides dense = AttentionStrides.Contiguous(1, Heads, HeadDim);
        AttentionStrides q = dense, kv = AttentionStrides.Contiguous(seqK, KvHeads, HeadDim);
        AttentionStrides oneTile = dense with { Batch = dense.Batch + 1 };

        Action Call(AttentionStrides o) => () => FlashAttention.Forward(b.Q.Span<float>(shape.QueryLength), q,
            b.K.Span<float>(shape.KeyLength), kv, b.V.Span<float>(shape.ValueLength), kv, b.O.Span<float>(shape.OutputLength), o,
            b.Lse.Span<float>(shape.RowCount), shape);

        IReadOnlyList<Timing> t = MedianTimer.MeasureInTurns([Call(dense), Call(oneTile)], AttentionTiming.For(context));
        string label = $"seqK={seqK} h={Heads}/{KvHeads} d={HeadDim}";
        long bytes = shape.KeyLength * sizeof(float);
        return
        [
            new(AttentionFamilies.Group, AttentionFamilies.Decode, AttentionFamilies.SplitKv, "f32", bytes, label, context.Threads,
                t[0].MedianSeconds, 0, t[0].MedianSeconds * 1e6, "us", null, t[0].Calls),
            new(AttentionFamilies.Group, AttentionFamilies.Decode, AttentionFamilies.NoSplit, "f32", bytes, label, context.Threads,
                t[1].MedianSeconds, 0, t[1].MedianSeconds * 1e6, "us", null, t[1].Calls),
        ];
    }
}
