using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>One attention problem: shape, options and deterministic inputs exactly representable in T.</summary>
public sealed record AttentionCase(string Name, AttentionShape Shape, AttentionOptions Options)
{
    internal static AttentionCase Of(string name, int batch, int seqQ, int seqK, int heads, int kvHeads, int headDim,
        int? valueHeadDim = null, bool causal = false, int windowLeft = -1, int windowRight = -1, float softcap = 0, float? scale = null)
        => new(name, new AttentionShape(batch, seqQ, seqK, heads, kvHeads, headDim, valueHeadDim ?? headDim),
            new AttentionOptions { Causal = causal, WindowLeft = windowLeft, WindowRight = windowRight, Softcap = softcap, Scale = scale });

    internal AttentionInputs<T> Inputs<T>(int seed) where T : unmanaged => new(
        Samples.Uniform<T>((int)Shape.QueryLength, seed, -2f, 2f),
        Samples.Uniform<T>((int)Shape.KeyLength, seed + 1, -2f, 2f),
        Samples.Uniform<T>((int)Shape.ValueLength, seed + 2, -1f, 1f),
        Samples.Uniform<T>((int)Shape.OutputLength, seed + 3, -1f, 1f));

    /// <summary>Each case in each half-precision storage type (the types the CUDA kernels take), named for the test list.</summary>
    internal static IEnumerable<TestCaseData> InHalfPrecisions(IEnumerable<AttentionCase> cases) =>
        from storage in new[] { Storage.F16, Storage.BF16 }
        from c in cases
        select new TestCaseData(storage, c).SetArgDisplayNames(storage.ToString(), c.Name);

    public override string ToString() =>
        $"{Name} b={Shape.Batch} sq={Shape.SeqQ} sk={Shape.SeqK} h={Shape.Heads}/{Shape.KvHeads} d={Shape.HeadDim}/{Shape.ValueHeadDim} " +
        $"causal={Options.Causal} window=({Options.WindowLeft},{Options.WindowRight}) softcap={Options.Softcap}";
}

/// <summary>q, k, v and an output gradient dO.</summary>
internal sealed record AttentionInputs<T>(T[] Q, T[] K, T[] V, T[] DO) where T : unmanaged
{
    /// <summary>
    /// q, k and v interleaved per token in one buffer (rows of 3 x heads x headDim: the packed-qkv layout of fused
    /// projections), for tests that pass strided views.
    /// </summary>
    internal T[] PackedPerToken(AttentionShape s)
    {
        int width = s.Heads * s.HeadDim, rowWidth = 3 * width, tokens = s.Batch * s.SeqQ;
        var packed = new T[tokens * rowWidth];
        for (int token = 0; token < tokens; token++)
        {
            Q.AsSpan(token * width, width).CopyTo(packed.AsSpan(token * rowWidth));
            K.AsSpan(token * width, width).CopyTo(packed.AsSpan(token * rowWidth + width));
            V.AsSpan(token * width, width).CopyTo(packed.AsSpan(token * rowWidth + 2 * width));
        }
        return packed;
    }
}
