using Kernels.Attention;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>Forward and backward give the same bits run to run and for any thread count.</summary>
[NonParallelizable]
public class AttentionDeterminismTests
{
    [Test]
    public void BitwiseIdenticalAcrossRunsAndThreadCounts([Values] Storage storage) =>
        // Large enough that the work is split over threads (4 query tiles per head, 4 key tiles per kv head).
        storage.Run(new DeterminismCase(AttentionCase.Of("determinism", 1, 256, 256, 4, 2, 64, causal: true, windowLeft: 150)));

    [Test]
    public void SplitKeyDecodeIsBitwiseIdenticalAcrossThreadCounts([Values] Storage storage) =>
        storage.Run(new DeterminismCase(AttentionCase.Of("decode", 1, 1, 4097, 2, 1, 64)));

    private sealed record DeterminismCase(AttentionCase Case) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            AttentionCase c = Case;
            AttentionInputs<T> x = c.Inputs<T>(seed: 77);
            int saved = KernelThreading.MaxDegreeOfParallelism;
            try
            {
                KernelThreading.MaxDegreeOfParallelism = 1;
                (var reference, float[] referenceLse) = Run(c, x);
                foreach (int threads in new[] { 2, 2, 3 })
                {
                    KernelThreading.MaxDegreeOfParallelism = threads;
                    (var again, float[] againLse) = Run(c, x);
                    Compare.Bitwise<float>(againLse, referenceLse, $"{typeof(T).Name} lse with {threads} threads");
                    for (int i = 0; i < reference.Length; i++)
                    {
                        Compare.Bitwise<T>(again[i].Values, reference[i].Values, $"{typeof(T).Name} {again[i].Name} with {threads} threads");
                    }
                }
            }
            finally
            {
                KernelThreading.MaxDegreeOfParallelism = saved;
            }
        }

        private static ((string Name, T[] Values)[] Outputs, float[] Lse) Run<T>(AttentionCase c, AttentionInputs<T> x) where T : unmanaged
        {
            var o = new T[c.Shape.OutputLength];
            var lse = new float[c.Shape.RowCount];
            FlashAttention.Forward<T>(x.Q, x.K, x.V, o, lse, c.Shape, c.Options);
            var dq = new T[x.Q.Length];
            var dk = new T[x.K.Length];
            var dv = new T[x.V.Length];
            FlashAttention.Backward<T>(x.Q, x.K, x.V, o, lse, x.DO, dq, dk, dv, c.Shape, c.Options);
            return ([("O", o), ("dQ", dq), ("dK", dk), ("dV", dv)], lse);
        }
    }
}
