using System.Runtime.CompilerServices;
using Kernels.Attention;
using Kernels.Cuda;
using Kernels.Tests.Attention;
using Kernels.Tests.Cuda.Emulation;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/flash_attention.cu (WMMA) under the emulator against the float64 reference with the CPU attention tests' rule
/// (<see cref="AttentionChecks.ForwardResult{T}"/>): error at most 2x the naive same-precision error, NMSE &lt;= 5e-4,
/// lse within fp32 error, rows that see no key exactly 0 and -inf. Shapes are small (emulation runs every lane of every
/// warp) but odd: partial query tiles (7, 97, 130 rows) and partial key tiles, both head dims, every mask.
/// </summary>
public class EmulatedFlashAttentionTests
{
    private static readonly AttentionCase[] Cases =
    [
        AttentionCase.Of("single", 1, 1, 1, 1, 1, 64),
        AttentionCase.Of("seven-causal", 1, 7, 7, 1, 1, 128, causal: true),
        AttentionCase.Of("gqa-causal", 1, 97, 97, 4, 2, 64, causal: true),
        AttentionCase.Of("tails", 1, 130, 130, 1, 1, 128),
        AttentionCase.Of("causal-short-q", 1, 97, 130, 2, 1, 64, causal: true),
        AttentionCase.Of("causal-long-q-empty-rows", 1, 130, 97, 1, 1, 128, causal: true),
        AttentionCase.Of("window-causal", 1, 130, 130, 1, 1, 64, causal: true, windowLeft: 17),
        AttentionCase.Of("window-both-gqa", 2, 97, 130, 2, 1, 128, windowLeft: 5, windowRight: 9),
        AttentionCase.Of("window-empty-rows", 1, 130, 97, 1, 1, 64, windowLeft: 0, windowRight: 0),
        AttentionCase.Of("softcap", 1, 97, 97, 2, 2, 128, softcap: 1.5f, scale: 0.5f),
        AttentionCase.Of("mqa-batch", 2, 7, 97, 3, 1, 64),
        AttentionCase.Of("seq-k-zero", 1, 7, 0, 1, 1, 64),
    ];

    public static IEnumerable<TestCaseData> CaseData() => AttentionCase.InHalfPrecisions(Cases);

    [TestCaseSource(nameof(CaseData))]
    public void MatchesFloat64Reference(Storage storage, AttentionCase c) => storage.Run(new DenseCase(c));

    /// <summary>
    /// q, k and v interleaved per token in one buffer and o written into rows padded by 8 elements: the strides reach the
    /// kernel as given, padding stays untouched, and both tile loaders run (16-byte loads when aligned, element loads at an
    /// offset of one element).
    /// </summary>
    [Test]
    public void StridedViewsWithAndWithoutVectorLoads([Values(Storage.F16, Storage.BF16)] Storage storage, [Values(0, 1)] int offset)
        => storage.Run(new PackedCase(AttentionCase.Of("packed-qkv", 2, 97, 97, 2, 2, 64, causal: true), offset));

    [Test]
    public void ArgumentStructMatchesTheKernels() =>
        Assert.That((ulong)Unsafe.SizeOf<FlashForwardKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_flash_forward_args_bytes()));

    [Test]
    public void UnsupportedHeadDimIsRefusedByTheEmulatorEntry()
    {
        var shape = new AttentionShape(1, 4, 4, 1, 1, 32);
        Half[] q = new Half[shape.QueryLength], o = new Half[shape.OutputLength];
        Assert.That(() => Emulator.FlashAttentionForward(q, q, q, o, new float[shape.RowCount], shape, AttentionOptions.Default),
            Throws.TypeOf<EmulatedLaunchException>().With.Message.Contains("head_dim = 32"));
    }

    private sealed record DenseCase(AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            AttentionInputs<T> x = Case.Inputs<T>(seed: Case.Name.Length * 131);
            var o = new T[Case.Shape.OutputLength];
            var lse = new float[Case.Shape.RowCount];
            Emulator.FlashAttentionForward(x.Q, x.K, x.V, o, lse, Case.Shape, Case.Options);
            AttentionChecks.ForwardResult(Case, x, o, lse, $"emulated {typeof(T).Name} {Case}");
        }
    }

    private sealed unsafe record PackedCase(AttentionCase Case, int Offset) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            AttentionShape s = Case.Shape;
            int d = s.HeadDim, rowWidth = 3 * s.Heads * d, paddedHead = d + 8;
            AttentionInputs<T> x = Case.Inputs<T>(seed: 17);
            T[] packed = x.PackedPerToken(s);
            var inputStrides = new AttentionStrides((long)s.SeqQ * rowWidth, rowWidth, d);
            var outputStrides = new AttentionStrides((long)s.SeqQ * s.Heads * paddedHead, s.Heads * paddedHead, paddedHead);
            T sentinel = Values.From<T>(7f);
            using var qkv = new AlignedArray<T>(packed, Offset);
            using var o = new AlignedArray<T>(Enumerable.Repeat(sentinel, s.Batch * s.SeqQ * s.Heads * paddedHead).ToArray(), Offset);
            var lse = new float[s.RowCount];
            T* pq = qkv.Pointer, pk = pq + s.Heads * d, pv = pq + 2 * s.Heads * d;
            bool vectorLoads = CudaFlashAttention.VectorLoads([(ulong)pq, (ulong)pk, (ulong)pv], [inputStrides, inputStrides, inputStrides]);
            Assert.That(vectorLoads, Is.EqualTo(Offset == 0), "16-byte loads exactly when the views are aligned");
            fixed (float* pl = lse)
                Emulator.FlashAttentionForward(pq, pk, pv, o.Pointer, pl, s, Case.Options,
                    Emulator.Flatten(inputStrides, inputStrides, inputStrides, outputStrides), vectorLoads);

            T[] padded = o.ToArray(), dense = new T[s.OutputLength];
            for (int row = 0; row < s.Batch * s.SeqQ * s.Heads; row++)
            {
                padded.AsSpan(row * paddedHead, d).CopyTo(dense.AsSpan(row * d));
                for (int e = d; e < paddedHead; e++)
                    Assert.That(Values.Bits(padded[row * paddedHead + e]), Is.EqualTo(Values.Bits(sentinel)), $"padding of row {row} was written");
            }
            AttentionChecks.ForwardResult(Case, x, dense, lse, $"emulated {typeof(T).Name} offset {Offset} {Case}");
        }
    }
}
