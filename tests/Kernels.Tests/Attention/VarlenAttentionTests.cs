using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>
/// Packed variable-length attention (<see cref="FlashAttention.ForwardVarlen{T}"/>, <see cref="FlashAttention.BackwardVarlen{T}"/>)
/// against the float64 reference of each sequence on its own, with empty sequences on either side, bottom-right causal
/// masks where a sequence's query and key lengths differ, GQA, windows and softcap.
/// </summary>
public class VarlenAttentionTests
{
    internal static readonly VarlenCase[] Cases =
    [
        VarlenCase.Of("self-causal-gqa", [1, 97, 0, 128, 1025], [1, 97, 0, 128, 1025], 4, 2, 32, causal: true),
        VarlenCase.Of("cross-causal-mqa", [1, 97, 0, 128, 5], [3, 60, 7, 0, 300], 2, 1, 59, causal: true),
        VarlenCase.Of("window-softcap", [33, 0, 70], [33, 5, 90], 2, 2, 64, windowLeft: 9, windowRight: 3, softcap: 2),
        VarlenCase.Of("unmasked-single", [7], [130], 3, 1, 111),
    ];

    /// <summary>
    /// The backward reference is ~3x the forward's cost: the long sequence is shortened to 257 but for f32. A sequence of one
    /// query over one key has dQ = dK = 0 exactly (P = 1), which a relative check cannot judge: here the single query sees
    /// two keys, and the one-key sequence is compared bit for bit with the dense call in <see cref="EqualsBatchOneCallsBitwise"/>.
    /// </summary>
    internal static readonly VarlenCase[] BackwardCases =
    [
        VarlenCase.Of("self-causal-gqa", [1, 97, 0, 128, 257], [2, 97, 0, 128, 257], 4, 2, 32, causal: true),
        Cases[1],
        Cases[2],
    ];

    public static IEnumerable<TestCaseData> ForwardData() =>
        from storage in Enum.GetValues<Storage>()
        from c in Cases
        select new TestCaseData(storage, c).SetArgDisplayNames(storage.ToString(), c.Name);

    public static IEnumerable<TestCaseData> BackwardData() =>
        from storage in Enum.GetValues<Storage>()
        from c in BackwardCases
        select new TestCaseData(storage, c).SetArgDisplayNames(storage.ToString(), c.Name);

    [TestCaseSource(nameof(ForwardData))]
    public void ForwardMatchesFloat64ReferencePerSequence(Storage storage, VarlenCase c) => storage.Run(new ForwardCheck(c));

    [TestCaseSource(nameof(BackwardData))]
    public void BackwardMatchesFloat64GradientsPerSequence(Storage storage, VarlenCase c) => storage.Run(new BackwardCheck(c));

    [Test]
    public void BackwardOfTheLongSequenceMatchesFloat64GradientsF32() =>
        Storage.F32.Run(new BackwardCheck(VarlenCase.Of("long-causal-gqa", [1, 97, 0, 128, 1025], [2, 97, 0, 128, 1025], 4, 2, 32, causal: true)));

    /// <summary>
    /// Each sequence equals the dense batch-1 call on its rows bit for bit (no query row shared between heads or long
    /// key range here, so the dense call takes the same tile path), and so does a second run (determinism).
    /// </summary>
    [Test]
    public void EqualsBatchOneCallsBitwise([Values] Storage storage) =>
        storage.Run(new BatchOneCheck(VarlenCase.Of("bitwise", [65, 0, 1, 200, 1], [65, 9, 40, 130, 1], 2, 2, 64, causal: true, softcap: 3)));

    private static (T[] O, float[] Lse) RunForward<T>(VarlenCase c, AttentionInputs<T> x) where T : unmanaged
    {
        var o = new T[c.TotalQ * c.OutputRow];
        var lse = new float[c.TotalQ * c.Heads.Heads];
        FlashAttention.ForwardVarlen<T>(x.Q, x.K, x.V, o, lse, c.CuSeqlensQ, c.CuSeqlensK, c.Heads, c.Options);
        return (o, lse);
    }

    private static AttentionResults<T> RunForwardAndBackward<T>(VarlenCase c, AttentionInputs<T> x) where T : unmanaged
    {
        (T[] o, float[] lse) = RunForward(c, x);
        var r = new AttentionResults<T>(o, lse, new T[x.Q.Length], new T[x.K.Length], new T[x.V.Length]);
        FlashAttention.BackwardVarlen<T>(x.Q, x.K, x.V, o, lse, x.DO, r.DQ, r.DK, r.DV, c.CuSeqlensQ, c.CuSeqlensK, c.Heads, c.Options);
        return r;
    }

    internal sealed record ForwardCheck(VarlenCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            VarlenCase c = Case;
            AttentionInputs<T> x = c.Inputs<T>(seed: 41);
            (T[] o, float[] lse) = RunForward(c, x);
            for (int i = 0; i < c.QueryLengths.Length; i++)
            {
                (AttentionCase sequence, AttentionInputs<T> inputs) = c.Sequence(x, i);
                AttentionChecks.ForwardResult<T>(sequence, inputs, c.QueryRows(o, i, c.OutputRow), c.QueryRows(lse, i, c.Heads.Heads),
                    $"{typeof(T).Name} {sequence}");
            }
        }
    }

    internal sealed record BackwardCheck(VarlenCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            VarlenCase c = Case;
            AttentionInputs<T> x = c.Inputs<T>(seed: 43);
            AttentionResults<T> r = RunForwardAndBackward(c, x);
            for (int i = 0; i < c.QueryLengths.Length; i++)
            {
                (AttentionCase sequence, AttentionInputs<T> inputs) = c.Sequence(x, i);
                AttentionChecks.BackwardResult<T>(sequence, inputs, c.QueryRows(r.DQ, i, c.QueryRow), c.KeyRows(r.DK, i, c.KeyRow),
                    c.KeyRows(r.DV, i, c.ValueRow), AttentionChecks.BackwardTolerance<T>(), $"{typeof(T).Name} {sequence}");
            }
        }
    }

    private sealed record BatchOneCheck(VarlenCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            VarlenCase c = Case;
            AttentionInputs<T> x = c.Inputs<T>(seed: 47);
            AttentionResults<T> r = RunForwardAndBackward(c, x);
            for (int i = 0; i < c.QueryLengths.Length; i++)
            {
                (AttentionCase sequence, AttentionInputs<T> inputs) = c.Sequence(x, i);
                AttentionResults<T> single = ShardedAttentionRun.SingleRank(sequence, inputs);
                string context = $"{typeof(T).Name} {sequence}";
                Compare.Bitwise<T>(c.QueryRows(r.O, i, c.OutputRow), single.O, $"o of {context}");
                Compare.Bitwise<float>(c.QueryRows(r.Lse, i, c.Heads.Heads), single.Lse, $"lse of {context}");
                Compare.Bitwise<T>(c.QueryRows(r.DQ, i, c.QueryRow), single.DQ, $"dq of {context}");
                Compare.Bitwise<T>(c.KeyRows(r.DK, i, c.KeyRow), single.DK, $"dk of {context}");
                Compare.Bitwise<T>(c.KeyRows(r.DV, i, c.ValueRow), single.DV, $"dv of {context}");
            }
            (T[] again, float[] againLse) = RunForward(c, x);
            Compare.Bitwise<T>(again, r.O, "o of a second run");
            Compare.Bitwise<float>(againLse, r.Lse, "lse of a second run");
        }
    }
}
