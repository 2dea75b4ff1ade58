using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>How a rank hands its data to our collectives.</summary>
internal enum BufferKind
{
    /// <summary>Any span of the caller's (arrays here): one copy in, reduce out of the peers' staging, copy out.</summary>
    Spans,

    /// <summary><see cref="Communicator.AllocateBuffer{T}(int)"/>: the data lives in symmetric memory and nothing is copied.</summary>
    Buffers,
}

/// <summary>
/// One rank's side of our collectives at one size, on any transport, timed with <see cref="CaseTimer"/> and checked
/// against <see cref="TestValues"/> like the native peers. Every rank of the communicator must run the same cases in
/// the same order; each returns the same (slowest-rank) figures.
/// </summary>
internal sealed class RankSweep(Communicator communicator, double seconds)
{
    private readonly float[] _cell = new float[1];

    public PeerCase Run(string implementation, string collective, long bytes, BufferKind kind)
    {
        int n = communicator.Size;
        // As the native peers: all-reduce counts the buffer; the others a block per rank (at least one element).
        long count = bytes / sizeof(float);
        int block = (int)Math.Max(1, count / n);
        int total = block * n;
        (Action call, Func<long> wrong, long reportedBytes, long reportedCount, Action release) = (collective, kind) switch
        {
            (CollectiveNames.AllReduce, BufferKind.Spans) => AllReduceSpans((int)count),
            (CollectiveNames.AllReduce, BufferKind.Buffers) => AllReduceBuffer((int)count),
            (CollectiveNames.ReduceScatter, BufferKind.Spans) => ReduceScatterSpans(block, total),
            (CollectiveNames.ReduceScatter, BufferKind.Buffers) => ReduceScatterBuffer(block, total),
            (CollectiveNames.AllGather, BufferKind.Spans) => AllGatherSpans(block, total),
            (CollectiveNames.AllGather, BufferKind.Buffers) => AllGatherBuffer(block, total),
            _ => throw new ArgumentException($"unknown collective '{collective}'", nameof(collective)),
        };
        try
        {
            (double perCall, long calls) = CaseTimer.Time(call, seconds, MaxOverRanks);
            long wrongHere = wrong();
            return PeerCase.From(implementation, "Kernels", collective, $"Communicator ({kind})", n, reportedBytes, reportedCount,
                perCall, calls, SumOverRanks(wrongHere));
        }
        finally
        {
            release();
        }
    }

    private (Action, Func<long>, long, long, Action) AllReduceSpans(int count)
    {
        float[] input = Filled(count, i => TestValues.Value(communicator.Rank, i));
        float[] output = new float[count];
        return (() => communicator.AllReduce<float>(input, output, ReduceOp.Sum),
            () => Wrong(output, i => TestValues.ExpectedSum(communicator.Size, i)), count * 4L, count, () => { });
    }

    // In place: timed calls keep summing the growing values (finite values and Inf cost the same), so the data is
    // refilled and reduced once more for the check, as the Gloo peer does.
    private (Action, Func<long>, long, long, Action) AllReduceBuffer(int count)
    {
        CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(count);
        void Refill() => Fill(buffer.Span, 0, i => TestValues.Value(communicator.Rank, i));
        Refill();
        return (() => communicator.AllReduce(buffer, ReduceOp.Sum),
            () =>
            {
                Refill();
                communicator.AllReduce(buffer, ReduceOp.Sum);
                return Wrong(buffer.Span, i => TestValues.ExpectedSum(communicator.Size, i));
            }, count * 4L, count, buffer.Dispose);
    }

    private (Action, Func<long>, long, long, Action) ReduceScatterSpans(int block, int total)
    {
        float[] input = Filled(total, i => TestValues.Value(communicator.Rank, i));
        float[] output = new float[block];
        long offset = (long)communicator.Rank * block;
        return (() => communicator.ReduceScatter<float>(input, output, ReduceOp.Sum),
            () => Wrong(output, j => TestValues.ExpectedSum(communicator.Size, offset + j)), total * 4L, total, () => { });
    }

    private (Action, Func<long>, long, long, Action) ReduceScatterBuffer(int block, int total)
    {
        CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(total);
        void Refill() => Fill(buffer.Span, 0, i => TestValues.Value(communicator.Rank, i));
        Refill();
        int offset = communicator.Rank * block;
        return (() => communicator.ReduceScatter(buffer, ReduceOp.Sum),
            () =>
            {
                Refill();
                communicator.ReduceScatter(buffer, ReduceOp.Sum);
                return Wrong(buffer.Span.Slice(offset, block), j => TestValues.ExpectedSum(communicator.Size, offset + j));
            }, total * 4L, total, buffer.Dispose);
    }

    private (Action, Func<long>, long, long, Action) AllGatherSpans(int block, int total)
    {
        long offset = (long)communicator.Rank * block;
        float[] input = Filled(block, j => TestValues.Value(communicator.Rank, offset + j));
        float[] output = new float[total];
        return (() => communicator.AllGather<float>(input, output),
            () => Wrong(output, i => TestValues.Value((int)(i / block), i)), total * 4L, block, () => { });
    }

    private (Action, Func<long>, long, long, Action) AllGatherBuffer(int block, int total)
    {
        CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(total);
        int offset = communicator.Rank * block;
        Fill(buffer.Span.Slice(offset, block), offset, i => TestValues.Value(communicator.Rank, i));
        return (() => communicator.AllGather(buffer),
            () => Wrong(buffer.Span, i => TestValues.Value((int)(i / block), i)), total * 4L, block, buffer.Dispose);
    }

    private double MaxOverRanks(double value)
    {
        _cell[0] = (float)value;
        communicator.AllReduce<float>(_cell, ReduceOp.Max);
        return _cell[0];
    }

    private long SumOverRanks(long value)
    {
        var all = new long[communicator.Size];
        communicator.AllGather<long>([value], all);
        return all.Sum();
    }

    private static float[] Filled(int count, Func<long, float> value)
    {
        var data = new float[count];
        Fill(data, 0, value);
        return data;
    }

    /// <summary>Writes value(first + i) into element i.</summary>
    private static void Fill(Span<float> data, long first, Func<long, float> value)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = value(first + i);
        }
    }

    private static long Wrong(ReadOnlySpan<float> data, Func<long, float> expected)
    {
        long wrong = 0;
        for (int i = 0; i < data.Length; i++)
        {
            wrong += data[i] != expected(i) ? 1 : 0;
        }
        return wrong;
    }
}
