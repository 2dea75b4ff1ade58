using Kernels.Attention;
using Kernels.Tests.Support;

namespace Kernels.Tests.Attention;

/// <summary>
/// A packed variable-length problem: per-sequence query and key lengths, heads and options, with deterministic packed
/// inputs; <see cref="Sequence"/> cuts out one sequence as a batch-1 <see cref="AttentionCase"/> with its rows.
/// </summary>
public sealed record VarlenCase(string Name, int[] QueryLengths, int[] KeyLengths, AttentionHeads Heads, AttentionOptions Options)
{
    internal static VarlenCase Of(string name, int[] queryLengths, int[] keyLengths, int heads, int kvHeads, int headDim,
        bool causal = false, int windowLeft = -1, int windowRight = -1, float softcap = 0) =>
        new(name, queryLengths, keyLengths, new AttentionHeads(heads, kvHeads, headDim),
            new AttentionOptions { Causal = causal, WindowLeft = windowLeft, WindowRight = windowRight, Softcap = softcap });

    internal int[] CuSeqlensQ => Cumulative(QueryLengths);
    internal int[] CuSeqlensK => Cumulative(KeyLengths);
    internal int TotalQ => QueryLengths.Sum();
    internal int TotalK => KeyLengths.Sum();
    internal int QueryRow => Heads.Heads * Heads.HeadDim;
    internal int KeyRow => Heads.KvHeads * Heads.HeadDim;
    internal int ValueRow => Heads.KvHeads * Heads.ValueHeadDim;
    internal int OutputRow => Heads.Heads * Heads.ValueHeadDim;

    internal AttentionInputs<T> Inputs<T>(int seed) where T : unmanaged => new(
        Samples.Uniform<T>(TotalQ * QueryRow, seed, -2f, 2f),
        Samples.Uniform<T>(TotalK * KeyRow, seed + 1, -2f, 2f),
        Samples.Uniform<T>(TotalK * ValueRow, seed + 2, -1f, 1f),
        Samples.Uniform<T>(TotalQ * OutputRow, seed + 3, -1f, 1f));

    /// <summary>Sequence <paramref name="i"/> as a batch-1 case, and its rows of the packed inputs.</summary>
    internal (AttentionCase Case, AttentionInputs<T> Inputs) Sequence<T>(AttentionInputs<T> packed, int i) where T : unmanaged
    {
        int q0 = CuSeqlensQ[i], k0 = CuSeqlensK[i], sq = QueryLengths[i], sk = KeyLengths[i];
        var c = new AttentionCase($"{Name}[{i}]", Heads.ShapeOf(sq, sk), Options);
        return (c, new AttentionInputs<T>(
            packed.Q.AsSpan(q0 * QueryRow, sq * QueryRow).ToArray(),
            packed.K.AsSpan(k0 * KeyRow, sk * KeyRow).ToArray(),
            packed.V.AsSpan(k0 * ValueRow, sk * ValueRow).ToArray(),
            packed.DO.AsSpan(q0 * OutputRow, sq * OutputRow).ToArray()));
    }

    /// <summary>Sequence <paramref name="i"/>'s query rows of a packed q- or o-shaped tensor of <paramref name="rowElements"/> per token.</summary>
    internal T[] QueryRows<T>(T[] packed, int i, int rowElements) =>
        packed.AsSpan(CuSeqlensQ[i] * rowElements, QueryLengths[i] * rowElements).ToArray();

    /// <summary>Sequence <paramref name="i"/>'s key rows of a packed k- or v-shaped tensor.</summary>
    internal T[] KeyRows<T>(T[] packed, int i, int rowElements) =>
        packed.AsSpan(CuSeqlensK[i] * rowElements, KeyLengths[i] * rowElements).ToArray();

    private static int[] Cumulative(int[] lengths)
    {
        var offsets = new int[lengths.Length + 1];
        for (int i = 0; i < lengths.Length; i++)
        {
            offsets[i + 1] = offsets[i] + lengths[i];
        }
        return offsets;
    }

    public override string ToString() =>
        $"{Name} q=[{string.Join(",", QueryLengths)}] k=[{string.Join(",", KeyLengths)}] h={Heads.Heads}/{Heads.KvHeads} d={Heads.HeadDim} " +
        $"causal={Options.Causal} window=({Options.WindowLeft},{Options.WindowRight}) softcap={Options.Softcap}";
}
