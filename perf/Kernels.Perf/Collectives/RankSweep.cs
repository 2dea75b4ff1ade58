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
/// One rank's side of the collectives cases, on any transport: builds our contenders (<see cref="Ours"/>), times one
/// alone (<see cref="Run"/>, <see cref="CaseTimer"/>) or several in alternation
/// (<see cref="RunAlternated"/>, <see cref="AlternatingTimer"/>), and checks each against <see cref="TestValues"/>.
/// Every rank must run the same cases in the same order; each returns the same (slowest-rank) figures.
/// <paramref name="timing"/> carries the max/sum over ranks that every timing decision needs.
/// </summary>
internal sealed class RankSweep(Communicator timing, double seconds)
{
    private readonly float[] _cell = new float[1];

    /// <summary>Times <paramref name="contender"/> alone and frees it.</summary>
    public PeerCase Run(RankContender contender)
    {
        try
        {
            (double perCall, long calls) = CaseTimer.Time(contender.Call, seconds, MaxOverRanks);
            return Result(contender, perCall, calls);
        }
        finally
        {
            contender.Release();
        }
    }

    /// <summary>
    /// Times the contenders of one case in turns (a batch of each per round, the fastest batch of each), so that the
    /// load of the moment falls on all of them alike, and frees them.
    /// </summary>
    public IReadOnlyList<PeerCase> RunAlternated(IReadOnlyList<RankContender> contenders)
    {
        try
        {
            foreach (RankContender contender in contenders)
            {
                contender.Call(); // first-call costs (page faults of fresh arrays, JIT) outside every timed batch
            }
            (double SecondsPerCall, long Calls)[] timed = AlternatingTimer.Time([.. contenders.Select(c => c.Call)], seconds * contenders.Count, MaxOverRanks);
            return [.. contenders.Select((c, i) => Result(c, timed[i].SecondsPerCall, timed[i].Calls))];
        }
        finally
        {
            foreach (RankContender contender in contenders)
            {
                contender.Release();
            }
        }
    }

    private PeerCase Result(RankContender contender, double perCall, long calls) =>
        PeerCase.From(contender.Peer, contender.Library, contender.Collective, contender.Algorithm, timing.Size, contender.Bytes,
            contender.Count, perCall, calls, SumOverRanks(contender.Wrong()));

    /// <summary>Our <paramref name="collective"/> at <paramref name="bytes"/> on <paramref name="communicator"/>, named <paramref name="peer"/>.</summary>
    public static RankContender Ours(Communicator communicator, string peer, string collective, long bytes, BufferKind kind)
    {
        int n = communicator.Size;
        // As nccl-tests: all-reduce counts the buffer; the others a block per rank (at least one element).
        long count = bytes / sizeof(float);
        int block = (int)Math.Max(1, count / n);
        int total = block * n;
        string algorithm = $"Communicator ({kind})";
        return (collective, kind) switch
        {
            (CollectiveNames.AllReduce, BufferKind.Spans) => AllReduceSpans(communicator, peer, algorithm, (int)count),
            (CollectiveNames.AllReduce, BufferKind.Buffers) => AllReduceBuffer(communicator, peer, algorithm, (int)count),
            (CollectiveNames.ReduceScatter, BufferKind.Spans) => ReduceScatterSpans(communicator, peer, algorithm, block, total),
            (CollectiveNames.ReduceScatter, BufferKind.Buffers) => ReduceScatterBuffer(communicator, peer, algorithm, block, total),
            (CollectiveNames.AllGather, BufferKind.Spans) => AllGatherSpans(communicator, peer, algorithm, block, total),
            (CollectiveNames.AllGather, BufferKind.Buffers) => AllGatherBuffer(communicator, peer, algorithm, block, total),
            _ => throw new ArgumentException($"unknown collective '{collective}'", nameof(collective)),
        };
    }

    private static RankContender AllReduceSpans(Communicator communicator, string peer, string algorithm, int count)
    {
        float[] input = TestValues.Filled(count, i => TestValues.Value(communicator.Rank, i));
        float[] output = new float[count];
        return new RankContender(peer, "Kernels", CollectiveNames.AllReduce, algorithm, count * 4L, count,
            () => communicator.AllReduce<float>(input, output, ReduceOp.Sum),
            () => TestValues.Wrong(output, i => TestValues.ExpectedSum(communicator.Size, i)), () => { });
    }

    // In place: timed calls keep summing the growing values (finite values and Inf cost the same), so the data is
    // refilled and reduced once more for the check, as the Gloo peer does.
    private static RankContender AllReduceBuffer(Communicator communicator, string peer, string algorithm, int count)
    {
        CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(count);
        void Refill() => TestValues.Fill(buffer.Span, 0, i => TestValues.Value(communicator.Rank, i));
        Refill();
        return new RankContender(peer, "Kernels", CollectiveNames.AllReduce, algorithm, count * 4L, count,
            () => communicator.AllReduce(buffer, ReduceOp.Sum),
            () =>
            {
                Refill();
                communicator.AllReduce(buffer, ReduceOp.Sum);
                return TestValues.Wrong(buffer.Span, i => TestValues.ExpectedSum(communicator.Size, i));
            }, buffer.Dispose);
    }

    private static RankContender ReduceScatterSpans(Communicator communicator, string peer, string algorithm, int block, int total)
    {
        float[] input = TestValues.Filled(total, i => TestValues.Value(communicator.Rank, i));
        float[] output = new float[block];
        long offset = (long)communicator.Rank * block;
        return new RankContender(peer, "Kernels", CollectiveNames.ReduceScatter, algorithm, total * 4L, total,
            () => communicator.ReduceScatter<float>(input, output, ReduceOp.Sum),
            () => TestValues.Wrong(output, j => TestValues.ExpectedSum(communicator.Size, offset + j)), () => { });
    }

    private static RankContender ReduceScatterBuffer(Communicator communicator, string peer, string algorithm, int block, int total)
    {
        CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(total);
        void Refill() => TestValues.Fill(buffer.Span, 0, i => TestValues.Value(communicator.Rank, i));
        Refill();
        int offset = communicator.Rank * block;
        return new RankContender(peer, "Kernels", CollectiveNames.ReduceScatter, algorithm, total * 4L, total,
            () => communicator.ReduceScatter(buffer, ReduceOp.Sum),
            () =>
            {
                Refill();
                communicator.ReduceScatter(buffer, ReduceOp.Sum);
                return TestValues.Wrong(buffer.Span.Slice(offset, block), j => TestValues.ExpectedSum(communicator.Size, offset + j));
            }, buffer.Dispose);
    }

    private static RankContender AllGatherSpans(Communicator communicator, string peer, string algorithm, int block, int total)
    {
        long offset = (long)communicator.Rank * block;
        float[] input = TestValues.Filled(block, j => TestValues.Value(communicator.Rank, offset + j));
        float[] output = new float[total];
        return new RankContender(peer, "Kernels", CollectiveNames.AllGather, algorithm, total * 4L, block,
            () => communicator.AllGather<float>(input, output),
            () => TestValues.Wrong(output, i => TestValues.Value((int)(i / block), i)), () => { });
    }

    private static RankContender AllGatherBuffer(Communicator communicator, string peer, string algorithm, int block, int total)
    {
        CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(total);
        int offset = communicator.Rank * block;
        TestValues.Fill(buffer.Span.Slice(offset, block), offset, i => TestValues.Value(communicator.Rank, i));
        return new RankContender(peer, "Kernels", CollectiveNames.AllGather, algorithm, total * 4L, block,
            () => communicator.AllGather(buffer),
            () => TestValues.Wrong(buffer.Span, i => TestValues.Value((int)(i / block), i)), buffer.Dispose);
    }

    private double MaxOverRanks(double value)
    {
        _cell[0] = (float)value;
        timing.AllReduce<float>(_cell, ReduceOp.Max);
        return _cell[0];
    }

    private long SumOverRanks(long value)
    {
        var all = new long[timing.Size];
        timing.AllGather<long>([value], all);
        return all.Sum();
    }
}
