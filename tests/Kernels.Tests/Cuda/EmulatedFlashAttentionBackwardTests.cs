using System.Runtime.CompilerServices;
using Kernels.Attention;
using Kernels.Cuda;
using Kernels.Tests.Attention;
using Kernels.Tests.Cuda.Emulation;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/flash_attention_backward.cu (WMMA) under the emulator against the float64 analytic gradients with the CPU backward
/// tests' rule (<see cref="AttentionChecks.BackwardResult{T}"/>, <see cref="AttentionChecks.BackwardTolerance{T}"/>),
/// given o and lse from the CPU forward. Shapes are small (emulation runs every lane) but odd: partial query and key
/// tiles, both head dims, every mask, grouped heads, rows that see no key.
/// </summary>
public class EmulatedFlashAttentionBackwardTests
{
    private static readonly AttentionCase[] Cases =
    [
        AttentionCase.Of("single", 1, 1, 1, 1, 1, 64),
        AttentionCase.Of("seven-causal", 1, 7, 7, 1, 1, 128, causal: true),
        AttentionCase.Of("gqa-causal", 1, 97, 97, 4, 2, 64, causal: true),
        AttentionCase.Of("causal-long-q-empty-rows", 1, 97, 40, 1, 1, 128, causal: true),
        AttentionCase.Of("window-both-gqa", 1, 97, 97, 2, 1, 128, windowLeft: 5, windowRight: 9),
        AttentionCase.Of("window-empty-rows", 1, 97, 70, 1, 1, 64, windowLeft: 0, windowRight: 0),
        AttentionCase.Of("softcap", 1, 97, 97, 2, 2, 64, softcap: 1.5f, scale: 0.5f),
        AttentionCase.Of("mqa-short-q-batch", 2, 7, 97, 3, 1, 128),
        AttentionCase.Of("seq-k-zero", 1, 7, 0, 1, 1, 64),
    ];

    public static IEnumerable<TestCaseData> CaseData() => AttentionCase.InHalfPrecisions(Cases);

    [TestCaseSource(nameof(CaseData))]
    public void MatchesFloat64Gradients(Storage storage, AttentionCase c) => storage.Run(new GradientCase(c));

    /// <summary>No atomics, a fixed order: a rerun gives the same bits (grouped heads and a causal mask exercise both loops).</summary>
    [Test]
    public void RerunGivesTheSameBits() => Storage.BF16.Run(new RerunCase(AttentionCase.Of("rerun", 1, 97, 97, 4, 2, 64, causal: true)));

    /// <summary>
    /// q, k and v interleaved per token in one buffer and their gradients into a second buffer with the same strides: the
    /// strides reach both kernels as given, and both tile loaders run (16-byte loads when aligned, element loads at an
    /// offset of one element).
    /// </summary>
    [Test]
    public void PackedViewsWithAndWithoutVectorLoads([Values(0, 1)] int offset) =>
        Storage.F16.Run(new PackedCase(AttentionCase.Of("packed-qkv", 2, 97, 97, 2, 2, 64, causal: true), offset));

    [Test]
    public void ArgumentStructMatchesTheKernels() =>
        Assert.That((ulong)Unsafe.SizeOf<FlashBackwardKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_flash_backward_args_bytes()));

    [Test]
    public void UnsupportedHeadDimIsRefusedByTheEmulatorEntry()
    {
        var shape = new AttentionShape(1, 4, 4, 1, 1, 32);
        Half[] x = new Half[shape.QueryLength], dq = new Half[shape.QueryLength], dk = new Half[shape.KeyLength], dv = new Half[shape.ValueLength];
        Assert.That(() => Emulator.FlashAttentionBackward(x, x, x, x, new float[shape.RowCount], x, dq, dk, dv, shape, AttentionOptions.Default),
            Throws.TypeOf<EmulatedLaunchException>().With.Message.Contains("head_dim = 32"));
    }

    /// <summary>Gradients of the emulated kernels for inputs of <paramref name="c"/>, with o and lse from the CPU forward.</summary>
    private static (T[] DQ, T[] DK, T[] DV) Gradients<T>(AttentionCase c, AttentionInputs<T> x) where T : unmanaged
    {
        var o = new T[c.Shape.OutputLength];
        var lse = new float[c.Shape.RowCount];
        FlashAttention.Forward<T>(x.Q, x.K, x.V, o, lse, c.Shape, c.Options);
        T[] dq = new T[x.Q.Length], dk = new T[x.K.Length], dv = new T[x.V.Length];
        Emulator.FlashAttentionBackward(x.Q, x.K, x.V, o, lse, x.DO, dq, dk, dv, c.Shape, c.Options);
        return (dq, dk, dv);
    }

    private sealed record GradientCase(AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            AttentionInputs<T> x = Case.Inputs<T>(seed: Case.Name.Length * 17);
            (T[] dq, T[] dk, T[] dv) = Gradients(Case, x);
            AttentionChecks.BackwardResult(Case, x, dq, dk, dv, AttentionChecks.BackwardTolerance<T>(), $"emulated {typeof(T).Name} {Case}");
        }
    }

    private sealed unsafe record PackedCase(AttentionCase Case, int Offset) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            AttentionShape s = Case.Shape;
            int d = s.HeadDim, width = s.Heads * d, rowWidth = 3 * width, tokens = s.Batch * s.SeqQ;
            AttentionInputs<T> x = Case.Inputs<T>(seed: 23);
            var o = new T[s.OutputLength];
            var lse = new float[s.RowCount];
            FlashAttention.Forward<T>(x.Q, x.K, x.V, o, lse, s, Case.Options);
            T[] packed = x.PackedPerToken(s);
            var view = new AttentionStrides((long)s.SeqQ * rowWidth, rowWidth, d);
            (_, _, _, AttentionStrides dense) = AttentionCall.ContiguousStrides(s);
            using var qkv = new AlignedArray<T>(packed, Offset);
            using var grads = new AlignedArray<T>(new T[packed.Length], Offset);
            using var denseO = new AlignedArray<T>(o, Offset);
            using var dO = new AlignedArray<T>(x.DO, Offset);
            T* pq = qkv.Pointer, pdq = grads.Pointer;
            bool vectorLoads = CudaFlashAttention.VectorLoads([(ulong)pq, (ulong)(pq + width), (ulong)(pq + 2 * width), (ulong)denseO.Pointer,
                (ulong)dO.Pointer], [view, view, view, dense]);
            Assert.That(vectorLoads, Is.EqualTo(Offset == 0), "16-byte loads exactly when the views are aligned");
            fixed (float* pl = lse)
                Emulator.FlashAttentionBackward(pq, pq + width, pq + 2 * width, denseO.Pointer, pl, dO.Pointer, pdq, pdq + width,
                    pdq + 2 * width, s, Case.Options, Emulator.Flatten(view, view, view, dense), vectorLoads);

            T[] all = grads.ToArray(), dq = new T[s.QueryLength], dk = new T[s.KeyLength], dv = new T[s.ValueLength];
            for (int token = 0; token < tokens; token++)
            {
                all.AsSpan(token * rowWidth, width).CopyTo(dq.AsSpan(token * width));
                all.AsSpan(token * rowWidth + width, width).CopyTo(dk.AsSpan(token * width));
                all.AsSpan(token * rowWidth + 2 * width, width).CopyTo(dv.AsSpan(token * width));
            }
            AttentionChecks.BackwardResult(Case, x, dq, dk, dv, AttentionChecks.BackwardTolerance<T>(), $"emulated offset {Offset} {Case}");
        }
    }

    private sealed record RerunCase(AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            AttentionInputs<T> x = Case.Inputs<T>(seed: 5);
            (T[] dq1, T[] dk1, T[] dv1) = Gradients(Case, x);
            (T[] dq2, T[] dk2, T[] dv2) = Gradients(Case, x);
            Assert.That(dq2.Select(e => Values.Bits(e)), Is.EqualTo(dq1.Select(e => Values.Bits(e))), "dQ");
            Assert.That(dk2.Select(e => Values.Bits(e)), Is.EqualTo(dk1.Select(e => Values.Bits(e))), "dK");
            Assert.That(dv2.Select(e => Values.Bits(e)), Is.EqualTo(dv1.Select(e => Values.Bits(e))), "dV");
        }
    }
}
