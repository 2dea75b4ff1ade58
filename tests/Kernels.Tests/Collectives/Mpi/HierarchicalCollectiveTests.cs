using Kernels.Tests.Collectives.Processes;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// The hierarchical communicator (shared memory inside a host, MPI between hosts) under mpirun, with the ranks of this
/// machine split into simulated hosts by <c>KN_SIMULATED_HOSTS</c>: 2 and 3 hosts of one rank (all traffic over MPI), 2
/// hosts of 2 + 1 ranks interleaved (mixed; the host with more ranks than the smallest one takes the all-reduce path),
/// and 2 hosts of 2 ranks (the reduce-scatter path, two MPI links). One mpirun job per topology runs every case of a
/// plan; each rank's output is compared with the float64 reference, and reductions across ranks bit for bit.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HierarchicalCollectiveTests
{
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Avg, ReduceOp.Max, ReduceOp.Min];

    [TestCase(2, "2", TestName = "Two hosts of one rank (all MPI)")]
    [TestCase(3, "3", TestName = "Three hosts of one rank (all MPI)")]
    [TestCase(3, "0,1,0", TestName = "Hosts of 2 and 1 ranks, interleaved (shared memory + MPI)")]
    [TestCase(4, "2", TestName = "Two hosts of two ranks (shared memory + MPI)")]
    public void EveryCollectiveMatchesTheReferenceOnEveryRank(int size, string hosts)
    {
        using var plan = new CollectivePlan(size);
        var checks = new List<Action>();
        foreach (int count in CollectiveData.Counts)
        {
            foreach (ReduceOp op in Ops)
            {
                checks.Add(Reduction<float>(plan, "allreduce", op, inBuffer: false, count));
                checks.Add(Reduction<Half>(plan, "allreduce", op, inBuffer: false, count));
                checks.Add(Reduction<BFloat16>(plan, "allreduce", op, inBuffer: false, count));
                checks.Add(Reduction<float>(plan, "reducescatter", op, inBuffer: false, count));
                checks.Add(Reduction<Half>(plan, "reducescatter", op, inBuffer: false, count));
                checks.Add(Reduction<BFloat16>(plan, "reducescatter", op, inBuffer: false, count));
            }
            checks.Add(AllGather<float>(plan, inBuffer: false, count));
            checks.Add(AllGather<Half>(plan, inBuffer: true, count));
            checks.Add(AllGatherV<BFloat16>(plan, count));
            checks.Add(Sparse<float>(plan, "sparseallgather", count, stride: 3));
            checks.Add(Sparse<BFloat16>(plan, "sparsereducescatter", count, stride: 3));
            checks.Add(Sparse<Half>(plan, "sparseallgather", count, stride: 97));
            checks.Add(Sparse<float>(plan, "sparsereducescatter", count, stride: 97));
            checks.Add(SendRecv(plan, count));
        }
        foreach (ReduceOp op in Ops)
        {
            checks.Add(Reduction<BFloat16>(plan, "allreduce", op, inBuffer: true, 1025));
            checks.Add(Reduction<float>(plan, "reducescatter", op, inBuffer: true, 1025));
        }
        checks.Add(Broadcast(plan, inBuffer: false, 1025, root: size - 1));
        checks.Add(Broadcast(plan, inBuffer: true, 7, root: 1));
        checks.Add(Barrier(plan));
        checks.Add(AllReduceAsync<Half>(plan, ReduceOp.Avg, 1025));
        checks.Add(Fused<float>(plan, rows: 7, cols: 33));
        checks.Add(Fused<BFloat16>(plan, rows: size + 2, cols: 16));
        plan.Write();

        (int exitCode, string output, _) = MpiJob.Run(size, [Worker.Dotnet, Worker.Assembly, "plan", plan.Directory], TimeSpan.FromSeconds(240),
            new Dictionary<string, string> { ["KN_SIMULATED_HOSTS"] = hosts, ["KN_TIMEOUT_MS"] = "60000", ["KN_DEBUG"] = "1" });

        Assert.That(exitCode, Is.Zero, output);
        int hostCount = hosts.Contains(',') ? hosts.Split(',').Distinct().Count() : int.Parse(hosts);
        Assert.That(output, Does.Contain($"host {hostCount - 1} of {hostCount}"), "the ranks should have formed the simulated hosts");
        Assert.Multiple(() =>
        {
            foreach (Action check in checks)
            {
                check();
            }
        });
    }

    /// <summary>All-reduce or reduce-scatter: the reference rounded once, and (for all-reduce) the same bits on every rank.</summary>
    private static Action Reduction<T>(CollectivePlan plan, string kind, ReduceOp op, bool inBuffer, int count) where T : unmanaged
    {
        int index = plan.Add<T>(kind, op.ToString(), inBuffer, count);
        return () =>
        {
            double[] expected = CollectiveData.Reduced<T>(plan.Size, count, op, seed: index);
            T[] first = plan.Output<T>(index, 0);
            for (int rank = 0; rank < plan.Size; rank++)
            {
                string context = $"{plan.Lines[index]} on rank {rank} of {plan.Size}";
                T[] actual = plan.Output<T>(index, rank);
                if (kind == "allreduce")
                {
                    CollectiveData.AssertReduced<T>(actual, expected, context);
                    Compare.Bitwise<T>(actual, first, $"{context} vs rank 0 (determinism)");
                }
                else
                {
                    (int offset, int length) = Shard(count, plan.Size, rank);
                    CollectiveData.AssertReduced<T>(actual, expected.AsSpan(offset, length), context);
                }
            }
        };
    }

    /// <summary>Two queued all-reduces of the same input: both results are the reference, on every rank alike.</summary>
    private static Action AllReduceAsync<T>(CollectivePlan plan, ReduceOp op, int count) where T : unmanaged
    {
        int index = plan.Add<T>("allreduceasync", op.ToString(), false, count);
        return () =>
        {
            double[] expected = CollectiveData.Reduced<T>(plan.Size, count, op, seed: index);
            T[] first = plan.Output<T>(index, 0);
            for (int rank = 0; rank < plan.Size; rank++)
            {
                string context = $"{plan.Lines[index]} on rank {rank} of {plan.Size}";
                T[] actual = plan.Output<T>(index, rank);
                CollectiveData.AssertReduced<T>(actual.AsSpan(0, count), expected, context + " (first)");
                CollectiveData.AssertReduced<T>(actual.AsSpan(count), expected, context + " (second)");
                Compare.Bitwise<T>(actual, first, $"{context} vs rank 0 (determinism)");
            }
        };
    }

    private static Action AllGather<T>(CollectivePlan plan, bool inBuffer, int count) where T : unmanaged
    {
        int index = plan.Add<T>("allgather", "-", inBuffer, count);
        return () =>
        {
            T[] expected = inBuffer
                ? [.. Enumerable.Range(0, plan.Size).SelectMany(rank =>
                    CollectivePlan.Input<T>(index, rank, count).Skip(Shard(count, plan.Size, rank).Offset).Take(Shard(count, plan.Size, rank).Length))]
                : [.. Enumerable.Range(0, plan.Size).SelectMany(rank => CollectivePlan.Input<T>(index, rank, count))];
            ExpectOnEveryRank(plan, index, _ => expected);
        };
    }

    /// <summary>Rank r contributes the first max(0, count - r) elements (see the worker's PlanRunner).</summary>
    private static Action AllGatherV<T>(CollectivePlan plan, int count) where T : unmanaged
    {
        int index = plan.Add<T>("allgatherv", "-", false, count);
        return () => ExpectOnEveryRank<T>(plan, index, _ =>
            [.. Enumerable.Range(0, plan.Size).SelectMany(rank => CollectivePlan.Input<T>(index, rank, count).Take(Math.Max(0, count - rank)))]);
    }

    /// <summary>
    /// Rank r's entries are its elements i with (i + r) % stride == 0; the dense sum (or this rank's shard of it) is the
    /// reference. Stride 3 is above the density at which the sparse collectives switch to the dense all-reduce (4%), 97 below.
    /// </summary>
    private static Action Sparse<T>(CollectivePlan plan, string kind, int count, int stride) where T : unmanaged
    {
        int index = plan.Add<T>(kind, "-", false, count, root: stride);
        return () =>
        {
            var expected = new double[count];
            for (int rank = 0; rank < plan.Size; rank++)
            {
                T[] input = CollectivePlan.Input<T>(index, rank, count);
                for (int i = 0; i < count; i++)
                {
                    if ((i + rank) % stride == 0)
                        expected[i] += Values.ToDouble(input[i]);
                }
            }
            for (int rank = 0; rank < plan.Size; rank++)
            {
                (int offset, int length) = kind == "sparseallgather" ? (0, count) : Shard(count, plan.Size, rank);
                CollectiveData.AssertReduced<T>(plan.Output<T>(index, rank), expected.AsSpan(offset, length), $"{plan.Lines[index]} on rank {rank} of {plan.Size}");
            }
        };
    }

    private static Action Broadcast(CollectivePlan plan, bool inBuffer, int count, int root)
    {
        int index = plan.Add<float>("broadcast", "-", inBuffer, count, root);
        return () => ExpectOnEveryRank(plan, index, _ => CollectivePlan.Input<float>(index, root, count));
    }

    /// <summary>Rank 0 exchanges its input with every peer in turn: across hosts over MPI, inside a host over shared memory.</summary>
    private static Action SendRecv(CollectivePlan plan, int count)
    {
        int index = plan.Add<float>("sendrecv", "-", false, count);
        return () => ExpectOnEveryRank(plan, index, rank => rank == 0
            ? [.. Enumerable.Range(1, plan.Size - 1).SelectMany(peer => CollectivePlan.Input<float>(index, peer, count))]
            : CollectivePlan.Input<float>(index, 0, count));
    }

    private static Action Barrier(CollectivePlan plan)
    {
        int index = plan.Add<float>("barrier", "-", false, 0);
        return () => ExpectOnEveryRank<float>(plan, index, _ => []);
    }

    /// <summary>
    /// Fused all-reduce + residual add + RMSNorm against float64: s = the sum of x over ranks, residual' = s + residual,
    /// y = residual' / sqrt(mean(residual'^2) + eps) * weight per row, with the worker's residual and weight.
    /// </summary>
    private static Action Fused<T>(CollectivePlan plan, int rows, int cols) where T : unmanaged
    {
        int count = rows * cols;
        int index = plan.Add<T>("fused", "-", false, count, root: cols);
        return () =>
        {
            double[] sum = CollectiveData.Reduced<T>(plan.Size, count, ReduceOp.Sum, seed: index);
            double[] residual = [.. Enumerable.Range(0, count).Select(i => sum[i] + Values.ToDouble(Values.From<T>((i % 5) / 4f)))];
            var y = new double[count];
            for (int row = 0; row < rows; row++)
            {
                double meanSquare = Enumerable.Range(row * cols, cols).Average(i => residual[i] * residual[i]);
                double inverse = 1 / Math.Sqrt(meanSquare + 1e-5);
                for (int j = 0; j < cols; j++)
                {
                    double weight = Values.ToDouble(Values.From<T>(1 + (j % 3) / 2f));
                    y[row * cols + j] = residual[row * cols + j] * inverse * weight;
                }
            }
            T[] first = plan.Output<T>(index, 0);
            for (int rank = 0; rank < plan.Size; rank++)
            {
                string context = $"{plan.Lines[index]} on rank {rank} of {plan.Size}";
                T[] actual = plan.Output<T>(index, rank);
                Compare.Near<T>(actual.AsSpan(0, count), y, ulps: 4, context + " (y)", relative: 1e-5);
                Compare.Near<T>(actual.AsSpan(count), residual, ulps: 1, context + " (residual)");
                Compare.Bitwise<T>(actual, first, $"{context} vs rank 0 (determinism)");
            }
        };
    }

    private static void ExpectOnEveryRank<T>(CollectivePlan plan, int index, Func<int, T[]> expected) where T : unmanaged
    {
        for (int rank = 0; rank < plan.Size; rank++)
        {
            Compare.Bitwise<T>(plan.Output<T>(index, rank), expected(rank), $"{plan.Lines[index]} on rank {rank} of {plan.Size}");
        }
    }

    /// <summary>Contiguous shards in rank order, the first count % size one element longer (as Communicator.ShardOf).</summary>
    private static (int Offset, int Length) Shard(int count, int size, int rank)
    {
        int small = count / size, extra = count % size;
        return rank < extra ? (rank * (small + 1), small + 1) : (extra * (small + 1) + (rank - extra) * small, small);
    }
}
