using Kernels.Attention;
using Kernels.Tests.Collectives.Processes;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>
/// Ring and Ulysses attention between real processes over the shared-memory transport, 2..4 ranks: each rank of the
/// worker's <c>attention</c> scenario shards the whole-sequence inputs, runs forward and backward and writes its shard;
/// the shards put back together equal single-rank <see cref="FlashAttention"/> within the tolerances of
/// <see cref="ShardedAttentionTests"/> (Ulysses: bit for bit), and a second job gives the same bits.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ProcessShardedAttentionTests
{
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void RingAndUlyssesEqualSingleRank(int size)
    {
        using var plan = new AttentionPlan(size);
        var checks = new List<Action>
        {
            plan.Add<float>("ring", SequenceLayout.Zigzag, ShardedAttentionTests.Case(causal: true), ShardedAttentionTests.F32Tolerance),
            plan.Add<float>("ring", SequenceLayout.Contiguous, ShardedAttentionTests.Case(causal: false), ShardedAttentionTests.F32Tolerance),
            plan.Add<BFloat16>("ring", SequenceLayout.Zigzag, ShardedAttentionTests.Case(causal: true), ShardedAttentionTests.Bf16Tolerance),
            plan.Add<float>("ulysses", SequenceLayout.Zigzag, ShardedAttentionTests.Case(causal: true, heads: 2 * size, kvHeads: size), 0),
            plan.Add<BFloat16>("ulysses", SequenceLayout.Contiguous, ShardedAttentionTests.Case(causal: false, heads: size, kvHeads: size), 0),
        };
        plan.Write();

        (Kernels.Collectives.LaunchResult result, RankLines lines) = Worker.Run(size, ["attention", plan.Directory]);

        Assert.That(result.ExitCode, Is.Zero, lines.Describe());
        Assert.Multiple(() =>
        {
            foreach (Action check in checks)
            {
                check();
            }
        });
    }

    [Test]
    public void TwoJobsGiveTheSameBits()
    {
        const int size = 3;
        using var plan = new AttentionPlan(size);
        plan.Add<float>("ring", SequenceLayout.Zigzag, ShardedAttentionTests.Case(causal: true), ShardedAttentionTests.F32Tolerance);
        plan.Add<float>("ulysses", SequenceLayout.Zigzag, ShardedAttentionTests.Case(causal: true, heads: 6, kvHeads: 3), 0);
        plan.Write();

        (Kernels.Collectives.LaunchResult first, RankLines firstLines) = Worker.Run(size, ["attention", plan.Directory]);
        Assert.That(first.ExitCode, Is.Zero, firstLines.Describe());
        Dictionary<string, byte[]> firstOutputs = plan.OutputFiles().ToDictionary(path => path, File.ReadAllBytes);
        (Kernels.Collectives.LaunchResult second, RankLines secondLines) = Worker.Run(size, ["attention", plan.Directory]);
        Assert.That(second.ExitCode, Is.Zero, secondLines.Describe());

        Assert.That(firstOutputs, Has.Count.EqualTo(2 * size * 5));
        foreach ((string path, byte[] bytes) in firstOutputs)
        {
            Assert.That(File.ReadAllBytes(path), Is.EqualTo(bytes), Path.GetFileName(path));
        }
    }

    /// <summary>The case files of the worker's <c>attention</c> scenario (format on its AttentionPlanRunner).</summary>
    private sealed class AttentionPlan(int size) : WorkerPlan(size, "kn-attention", "attention.txt")
    {
        /// <summary>Adds a case; returns the check of the gathered shards against single-rank attention.</summary>
        internal Action Add<T>(string algorithm, SequenceLayout layout, AttentionCase c, double tolerance) where T : unmanaged
        {
            AttentionShape s = c.Shape;
            string type = typeof(T) == typeof(float) ? "f32" : "bf16";
            int index = AddLine($"{algorithm} {type} {layout} {(c.Options.Causal ? "causal" : "full")} {s.Batch} {s.SeqQ} {s.Heads} {s.KvHeads} {s.HeadDim}");
            AttentionInputs<T> x = c.Inputs<T>(seed: 11 + index);
            WriteTensor(index, "q", x.Q);
            WriteTensor(index, "k", x.K);
            WriteTensor(index, "v", x.V);
            WriteTensor(index, "do", x.DO);
            return () =>
            {
                var gathered = new AttentionResults<T>(new T[s.OutputLength], new float[s.RowCount], new T[s.QueryLength],
                    new T[s.KeyLength], new T[s.ValueLength]);
                for (int rank = 0; rank < Size; rank++)
                {
                    Unshard(index, rank, "o", gathered.O, s.Heads * s.ValueHeadDim, s, layout);
                    Unshard(index, rank, "lse", gathered.Lse, s.Heads, s, layout);
                    Unshard(index, rank, "dq", gathered.DQ, s.Heads * s.HeadDim, s, layout);
                    Unshard(index, rank, "dk", gathered.DK, s.KvHeads * s.HeadDim, s, layout);
                    Unshard(index, rank, "dv", gathered.DV, s.KvHeads * s.ValueHeadDim, s, layout);
                }
                ShardedAttentionTests.AssertNear(gathered, ShardedAttentionRun.SingleRank(c, x), tolerance,
                    $"{algorithm} {layout} over {Size} processes, {typeof(T).Name} {c}");
            };
        }

        internal IEnumerable<string> OutputFiles() => System.IO.Directory.EnumerateFiles(Directory, "c*.r*.*");

        private void WriteTensor<T>(int index, string name, T[] values) where T : unmanaged => WriteFile($"c{index}.{name}", values);

        private void Unshard<T>(int index, int rank, string name, T[] whole, int rowElements, AttentionShape s, SequenceLayout layout)
            where T : unmanaged
        {
            T[] shard = ReadFile<T>($"c{index}.r{rank}.{name}");
            SequenceShards.Unshard<T>(shard, whole, layout, rank, Size, s.Batch, s.SeqQ, rowElements);
        }
    }
}
