using Kernels.Tests.Support;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// Cases of a <see cref="CollectivePlan"/> shared by the process tests (shared memory) and the MPI tests (hierarchical):
/// each adds its case and returns the check to run on the outputs once the job is done.
/// </summary>
internal static class PlanChecks
{
    /// <summary>All-reduce: the reference rounded once on every rank, and the same bits on every rank.</summary>
    internal static Action AllReduce<T>(CollectivePlan plan, ReduceOp op, bool inBuffer, int count) where T : unmanaged
    {
        int index = plan.Add<T>("allreduce", op.ToString(), inBuffer, count);
        return () => ExpectReducedOnEveryRank<T>(plan, index, CollectiveData.Reduced<T>(plan.Size, count, op, seed: index), copies: 1);
    }

    /// <summary>Each rank's output holds <paramref name="copies"/> results one after another, each the reference rounded
    /// once; outputs are compared across ranks bit for bit.</summary>
    internal static void ExpectReducedOnEveryRank<T>(CollectivePlan plan, int index, double[] expected, int copies) where T : unmanaged
    {
        T[] first = plan.Output<T>(index, 0);
        for (int rank = 0; rank < plan.Size; rank++)
        {
            string context = $"{plan.Lines[index]} on rank {rank} of {plan.Size}";
            T[] actual = plan.Output<T>(index, rank);
            for (int copy = 0; copy < copies; copy++)
            {
                CollectiveData.AssertReduced<T>(actual.AsSpan(copy * expected.Length, expected.Length), expected, $"{context} (result {copy})");
            }
            Compare.Bitwise<T>(actual, first, $"{context} vs rank 0 (determinism)");
        }
    }

    /// <summary>Span: every rank's input concatenated. Buffer: each rank's shard of its own input, gathered in place.</summary>
    internal static Action AllGather<T>(CollectivePlan plan, bool inBuffer, int count) where T : unmanaged
    {
        int index = plan.Add<T>("allgather", "-", inBuffer, count);
        return () =>
        {
            T[] expected = [.. Enumerable.Range(0, plan.Size).SelectMany(rank =>
            {
                (int offset, int length) = inBuffer ? Shard(count, plan.Size, rank) : (0, count);
                return CollectivePlan.Input<T>(index, rank, count).Skip(offset).Take(length);
            })];
            ExpectOnEveryRank<T>(plan, index, _ => expected);
        };
    }

    internal static Action Broadcast(CollectivePlan plan, bool inBuffer, int count, int root)
    {
        int index = plan.Add<float>("broadcast", "-", inBuffer, count, root);
        return () => ExpectOnEveryRank<float>(plan, index, _ => CollectivePlan.Input<float>(index, root, count));
    }

    /// <summary>Rank 0 exchanges its input with every peer in turn (see the worker's PlanRunner).</summary>
    internal static Action SendRecv(CollectivePlan plan, int count)
    {
        int index = plan.Add<float>("sendrecv", "-", false, count);
        return () => ExpectOnEveryRank<float>(plan, index, rank => rank == 0
            ? [.. Enumerable.Range(1, plan.Size - 1).SelectMany(peer => CollectivePlan.Input<float>(index, peer, count))]
            : CollectivePlan.Input<float>(index, 0, count));
    }

    internal static void ExpectOnEveryRank<T>(CollectivePlan plan, int index, Func<int, T[]> expected) where T : unmanaged
    {
        for (int rank = 0; rank < plan.Size; rank++)
        {
            Compare.Bitwise<T>(plan.Output<T>(index, rank), expected(rank), $"{plan.Lines[index]} on rank {rank} of {plan.Size}");
        }
    }

    /// <summary>Contiguous shards in rank order, the first count % size one element longer (as Communicator.ShardOf).</summary>
    internal static (int Offset, int Length) Shard(int count, int size, int rank)
    {
        int small = count / size, extra = count % size;
        return rank < extra ? (rank * (small + 1), small + 1) : (extra * (small + 1) + (rank - extra) * small, small);
    }
}
