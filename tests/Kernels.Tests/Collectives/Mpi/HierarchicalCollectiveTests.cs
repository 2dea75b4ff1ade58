using Kernels.Tests.Collectives.Processes;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// The hierarchical communicator (shared memory inside a host, MPI between hosts) under Open MPI's mpirun and MPICH's Hydra, with the ranks of this
/// machine split into simulated hosts by <c>KN_SIMULATED_HOSTS</c>: 2 and 3 hosts of one rank (all traffic over MPI), 2
/// hosts of 2 + 1 ranks interleaved (mixed; the host with more ranks than the smallest one takes the all-reduce path),
/// 2 hosts of 2 ranks (the reduce-scatter path, two MPI links), the same interleaved (shards packed in host order), and
/// 3 hosts of 2, 2 and 1 ranks interleaved. Reduce-scatter and the fused form are also checked bit for bit against the
/// all-reduce of the same inputs (one reduction order per layout). One mpirun job per topology runs every case of a
/// plan; each rank's output is compared with the float64 reference, and reductions across ranks bit for bit.
/// </summary>
[TestFixture(MpiUnderTest.OpenMpi)]
[TestFixture(MpiUnderTest.Mpich)]
[NonParallelizable]
public sealed class HierarchicalCollectiveTests(MpiUnderTest mpi)
{
    private static readonly ReduceOp[] Ops = [ReduceOp.Sum, ReduceOp.Avg, ReduceOp.Max, ReduceOp.Min];

    /// <summary>More than two 2^18-element pipeline chunks per lane even with two lanes per host, and odd.</summary>
    private const int PipelinedCount = 5 * (1 << 18) + 7;

    [TestCase(2, "2", TestName = "Two hosts of one rank (all MPI)")]
    [TestCase(3, "3", TestName = "Three hosts of one rank (all MPI)")]
    [TestCase(3, "0,1,0", TestName = "Hosts of 2 and 1 ranks, interleaved (shared memory + MPI)")]
    [TestCase(4, "2", TestName = "Two hosts of two ranks (shared memory + MPI)")]
    [TestCase(4, "0,1,0,1", TestName = "Two hosts of two ranks, interleaved (shards packed in host order)")]
    [TestCase(5, "0,1,2,0,1", TestName = "Three hosts of 2, 2 and 1 ranks, interleaved")]
    public void EveryCollectiveMatchesTheReferenceOnEveryRank(int size, string hosts)
    {
        using var plan = new CollectivePlan(size);
        var checks = new List<Action>();
        foreach (int count in CollectiveData.Counts)
        {
            foreach (ReduceOp op in Ops)
            {
                checks.Add(PlanChecks.AllReduce<float>(plan, op, inBuffer: false, count));
                checks.Add(PlanChecks.AllReduce<Half>(plan, op, inBuffer: false, count));
                checks.Add(PlanChecks.AllReduce<BFloat16>(plan, op, inBuffer: false, count));
                checks.Add(ReduceScatter<float>(plan, op, inBuffer: false, count));
                checks.Add(ReduceScatter<Half>(plan, op, inBuffer: false, count));
                checks.Add(ReduceScatter<BFloat16>(plan, op, inBuffer: false, count));
            }
            checks.Add(PlanChecks.AllGather<float>(plan, inBuffer: false, count));
            checks.Add(PlanChecks.AllGather<Half>(plan, inBuffer: true, count));
            checks.Add(AllGatherV<BFloat16>(plan, count));
            checks.Add(Sparse<float>(plan, "sparseallgather", count, stride: 3));
            checks.Add(Sparse<BFloat16>(plan, "sparsereducescatter", count, stride: 3));
            checks.Add(Sparse<Half>(plan, "sparseallgather", count, stride: 97));
            checks.Add(Sparse<float>(plan, "sparsereducescatter", count, stride: 97));
            checks.Add(PlanChecks.SendRecv(plan, count));
        }
        foreach (ReduceOp op in Ops)
        {
            checks.Add(PlanChecks.AllReduce<BFloat16>(plan, op, inBuffer: true, 1025));
            checks.Add(ReduceScatter<float>(plan, op, inBuffer: true, 1025));
        }
        checks.Add(PlanChecks.Broadcast(plan, inBuffer: false, 1025, root: size - 1));
        checks.Add(PlanChecks.Broadcast(plan, inBuffer: true, 7, root: 1));
        checks.Add(Barrier(plan));
        int queued = plan.Add<Half>("allreduceasync", nameof(ReduceOp.Avg), false, 1025);
        checks.Add(() => PlanChecks.ExpectReducedOnEveryRank<Half>(plan, queued, CollectiveData.Reduced<Half>(size, 1025, ReduceOp.Avg, seed: queued), copies: 2));
        checks.Add(Fused<float>(plan, rows: 7, cols: 33));
        checks.Add(Fused<BFloat16>(plan, rows: size + 2, cols: 16));
        checks.Add(Fused<Half>(plan, rows: 1, cols: 7));
        checks.Add(Fused<float>(plan, rows: 0, cols: 5));
        foreach (int count in new[] { 7, 3079 })
        {
            checks.Add(ReduceScatterIsTheAllReducesShard<float>(plan, ReduceOp.Sum, count));
            checks.Add(ReduceScatterIsTheAllReducesShard<Half>(plan, ReduceOp.Avg, count));
            checks.Add(ReduceScatterIsTheAllReducesShard<BFloat16>(plan, ReduceOp.Max, count));
        }
        // Lanes above the one-round limit (2^14 elements) in one chunk, then in several 1 MiB pipeline chunks (HostHierarchy.LaneAllReduce.cs), the last one partial.
        checks.Add(PlanChecks.AllReduce<Half>(plan, ReduceOp.Max, inBuffer: false, 40009));
        checks.Add(ReduceScatterIsTheAllReducesShard<BFloat16>(plan, ReduceOp.Avg, 40009));
        checks.Add(PlanChecks.AllReduce<float>(plan, ReduceOp.Sum, inBuffer: false, PipelinedCount));
        checks.Add(PlanChecks.AllReduce<BFloat16>(plan, ReduceOp.Avg, inBuffer: false, PipelinedCount));
        // Large enough for the host-local algorithms' size-dependent choices: the bits still agree.
        checks.Add(ReduceScatterIsTheAllReducesShard<float>(plan, ReduceOp.Sum, PipelinedCount));
        checks.Add(FusedIsTheAllReduceThenAddRmsNorm<float>(plan, rows: 2 * size + 1, cols: 97));
        checks.Add(FusedIsTheAllReduceThenAddRmsNorm<BFloat16>(plan, rows: size - 1, cols: 33));
        plan.Write();

        (int exitCode, string output, _) = MpiJob.Run(mpi, size, [Worker.Dotnet, Worker.Assembly, "plan", plan.Directory], TimeSpan.FromSeconds(240),
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

    /// <summary>Reduce-scatter: each rank's shard of the reference, rounded once.</summary>
    private static Action ReduceScatter<T>(CollectivePlan plan, ReduceOp op, bool inBuffer, int count) where T : unmanaged
    {
        int index = plan.Add<T>("reducescatter", op.ToString(), inBuffer, count);
        return () =>
        {
            double[] expected = CollectiveData.Reduced<T>(plan.Size, count, op, seed: index);
            for (int rank = 0; rank < plan.Size; rank++)
            {
                (int offset, int length) = PlanChecks.Shard(count, plan.Size, rank);
                CollectiveData.AssertReduced<T>(plan.Output<T>(index, rank), expected.AsSpan(offset, length), $"{plan.Lines[index]} on rank {rank} of {plan.Size}");
            }
        };
    }

    /// <summary>The reduction order is documented as one order per layout: a reduce-scatter's shard has the bits of the same
    /// shard of an all-reduce of the same inputs (the all-reduce itself is checked against float64 elsewhere).</summary>
    private static Action ReduceScatterIsTheAllReducesShard<T>(CollectivePlan plan, ReduceOp op, int count) where T : unmanaged
    {
        int allReduce = plan.Add<T>("allreduce", op.ToString(), false, count);
        int reduceScatter = plan.Add<T>("reducescatter", op.ToString(), false, count, inputOf: allReduce);
        return () =>
        {
            double[] expected = CollectiveData.Reduced<T>(plan.Size, count, op, seed: allReduce);
            for (int rank = 0; rank < plan.Size; rank++)
            {
                (int offset, int length) = PlanChecks.Shard(count, plan.Size, rank);
                string context = $"{plan.Lines[reduceScatter]} on rank {rank} of {plan.Size}";
                CollectiveData.AssertReduced<T>(plan.Output<T>(reduceScatter, rank), expected.AsSpan(offset, length), context);
                Compare.Bitwise<T>(plan.Output<T>(reduceScatter, rank), plan.Output<T>(allReduce, rank).AsSpan(offset, length).ToArray(),
                    $"{context} vs the all-reduce's shard");
            }
        };
    }

    /// <summary>The fused form normalises each row on one rank only; its y and residual are bitwise what every rank gets from
    /// the all-reduce followed by a local AddRmsNorm, with the worker's residual and weight.</summary>
    private static Action FusedIsTheAllReduceThenAddRmsNorm<T>(CollectivePlan plan, int rows, int cols) where T : unmanaged
    {
        int count = rows * cols;
        int allReduce = plan.Add<T>("allreduce", nameof(ReduceOp.Sum), false, count);
        int fused = plan.Add<T>("fused", "-", false, count, root: cols, inputOf: allReduce);
        return () =>
        {
            T[] residual = [.. Enumerable.Range(0, count).Select(i => Values.From<T>((i % 5) / 4f))];
            T[] weight = [.. Enumerable.Range(0, cols).Select(j => Values.From<T>(1 + (j % 3) / 2f))];
            var y = new T[count];
            RmsNorm.AddRmsNorm<T>(plan.Output<T>(allReduce, 0), residual, weight, y, rows, cols, 1e-5f);
            for (int rank = 0; rank < plan.Size; rank++)
            {
                Compare.Bitwise<T>(plan.Output<T>(fused, rank), [.. y, .. residual], $"{plan.Lines[fused]} on rank {rank} of {plan.Size} vs all-reduce + AddRmsNorm");
            }
        };
    }

    /// <summary>Rank r contributes the first max(0, count - r) elements (see the worker's PlanRunner).</summary>
    private static Action AllGatherV<T>(CollectivePlan plan, int count) where T : unmanaged
    {
        int index = plan.Add<T>("allgatherv", "-", false, count);
        return () => PlanChecks.ExpectOnEveryRank<T>(plan, index, _ =>
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
                (int offset, int length) = kind == "sparseallgather" ? (0, count) : PlanChecks.Shard(count, plan.Size, rank);
                CollectiveData.AssertReduced<T>(plan.Output<T>(index, rank), expected.AsSpan(offset, length), $"{plan.Lines[index]} on rank {rank} of {plan.Size}");
            }
        };
    }

    private static Action Barrier(CollectivePlan plan)
    {
        int index = plan.Add<float>("barrier", "-", false, 0);
        return () => PlanChecks.ExpectOnEveryRank<float>(plan, index, _ => []);
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
}
