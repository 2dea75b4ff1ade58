using Kernels.Collectives;
using Kernels.Tests.Support;

namespace Kernels.Tests.Collectives;

/// <summary>
/// All-reduce in place, out of place and on communicator buffers, for each op x count, on every rank of a job; each
/// result against the float64 reference (rounded once) and bit for bit against rank 0's.
/// </summary>
internal sealed class AllReduceCheck(TestJob job, int[]? counts = null, ReduceOp[]? ops = null) : IStorageTest
{
    internal static readonly ReduceOp[] AllOps = [ReduceOp.Sum, ReduceOp.Avg, ReduceOp.Max, ReduceOp.Min];

    public void Run<T>() where T : unmanaged
    {
        int size = job.Ranks.Length;
        var cases = (from op in ops ?? AllOps from count in counts ?? CollectiveData.Counts select (Op: op, Count: count)).ToArray();
        const int forms = 3;
        var results = new T[size][][];
        job.Run(comm =>
        {
            var mine = new T[cases.Length * forms][];
            for (int c = 0; c < cases.Length; c++)
            {
                (ReduceOp op, int count) = cases[c];
                T[] input = CollectiveData.Input<T>(comm.Rank, count, seed: c);

                T[] inPlace = (T[])input.Clone();
                comm.AllReduce<T>(inPlace, op);
                mine[c * forms] = inPlace;

                var output = new T[count];
                comm.AllReduce<T>(input, output, op);
                mine[c * forms + 1] = output;

                using CommunicatorBuffer<T> buffer = comm.AllocateBuffer<T>(count);
                input.CopyTo(buffer.Span);
                comm.AllReduce(buffer, op);
                mine[c * forms + 2] = buffer.Span.ToArray();
            }
            results[comm.Rank] = mine;
        });

        for (int c = 0; c < cases.Length; c++)
        {
            (ReduceOp op, int count) = cases[c];
            double[] expected = CollectiveData.Reduced<T>(size, count, op, seed: c);
            for (int form = 0; form < forms; form++)
            {
                string context = $"{op} count {count} form {(form == 0 ? "in place" : form == 1 ? "out of place" : "buffer")}";
                for (int rank = 0; rank < size; rank++)
                {
                    CollectiveData.AssertReduced<T>(results[rank][c * forms + form], expected, $"{context} rank {rank}");
                    Compare.Bitwise<T>(results[rank][c * forms + form], results[0][c * forms + form], $"{context}: rank {rank} vs rank 0");
                }
            }
        }
    }
}
