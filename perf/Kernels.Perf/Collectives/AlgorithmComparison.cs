using Kernels.Collectives;
using Kernels.Perf.Core;

namespace Kernels.Perf.Collectives;

/// <summary>
/// The all-reduce algorithms against each other, where the cost model has to choose: two-shot and ring on user spans
/// and on <see cref="CommunicatorBuffer{T}"/>s (and one-shot on spans), f32 sum, at 2, 3 and 4 ranks (threads,
/// in-process transport; more ranks than cores from 3 on, for information), timed in alternation
/// (<see cref="AlternatingTimer"/>) so that every contender of a case sees the same load.
/// </summary>
internal static class AlgorithmComparison
{
    public const string Family = "allreduce_algorithms";

    private static readonly (CollectiveAlgorithm Algorithm, bool Buffers)[] Contenders =
    [
        (CollectiveAlgorithm.OneShot, false),
        (CollectiveAlgorithm.TwoShot, false), (CollectiveAlgorithm.Ring, false),
        (CollectiveAlgorithm.TwoShot, true), (CollectiveAlgorithm.Ring, true),
    ];

    public static IReadOnlyList<int> Ranks(bool quick) => quick ? [2] : [2, 3, 4];

    public static IReadOnlyList<long> Sizes(bool quick) => quick ? [1L << 20] : [64L << 10, 1L << 20, 16L << 20, 64L << 20];

    public static string ImplementationOf(CollectiveAlgorithm algorithm, bool buffers) => $"{algorithm} ({(buffers ? "buffers" : "spans")})";

    public static IEnumerable<string> Implementations => Contenders.Select(c => ImplementationOf(c.Algorithm, c.Buffers));

    public static string ShapeOf(int ranks, long bytes) => $"{ranks} ranks, {CollectiveNames.SizeLabel(bytes)}";

    public static IReadOnlyList<Measurement> Measure(bool quick, double seconds)
    {
        var results = new List<Measurement>();
        long largest = Sizes(quick).Max();
        foreach (int size in Ranks(quick))
        {
            CollectiveAlgorithm[] algorithms = [.. Contenders.Select(c => c.Algorithm).Distinct()];
            Communicator[][] jobs = [.. algorithms.Select(algorithm => Communicator.CreateInProcess(size, new CommunicatorOptions
            {
                Algorithm = algorithm,
                Timeout = TimeSpan.FromSeconds(120),
                BufferHeapBytes = largest + (16L << 20),
            }))];
            try
            {
                foreach (long bytes in Sizes(quick))
                {
                    (double, long)[] timed = ThreadJob.Run(jobs[0], "algorithm comparison",
                        communicator => Time(jobs, algorithms, communicator.Rank, bytes, seconds));
                    foreach (((double perCall, long calls), (CollectiveAlgorithm algorithm, bool buffers)) in timed.Zip(Contenders))
                    {
                        results.Add(new Measurement(CollectiveNames.Group, Family, ImplementationOf(algorithm, buffers), "f32", bytes,
                            ShapeOf(size, bytes), size, perCall, 0, perCall * 1e6, "µs", null, calls));
                    }
                }
            }
            finally
            {
                foreach (Communicator communicator in jobs.SelectMany(job => job))
                {
                    communicator.Dispose();
                }
            }
        }
        return results;
    }

    /// <summary>One rank: every contender on the same values, timed in alternation.</summary>
    private static (double, long)[] Time(Communicator[][] jobs, CollectiveAlgorithm[] algorithms, int rank, long bytes, double seconds)
    {
        int count = (int)(bytes / sizeof(float));
        float[] input = Enumerable.Range(0, count).Select(i => TestValues.Value(rank, i)).ToArray();
        float[] output = new float[count];
        var buffers = new List<CommunicatorBuffer<float>>();
        try
        {
            var calls = new List<Action>();
            foreach ((CollectiveAlgorithm algorithm, bool onBuffers) in Contenders)
            {
                Communicator communicator = jobs[Array.IndexOf(algorithms, algorithm)][rank];
                if (onBuffers)
                {
                    CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(count);
                    input.CopyTo(buffer.Span);
                    buffers.Add(buffer);
                    calls.Add(() => communicator.AllReduce(buffer, ReduceOp.Sum));
                }
                else
                {
                    calls.Add(() => communicator.AllReduce<float>(input, output, ReduceOp.Sum));
                }
            }
            Communicator first = jobs[0][rank];
            return AlternatingTimer.Time(calls, seconds, value => ThreadJob.MaxOverRanks(first, value));
        }
        finally
        {
            foreach (CommunicatorBuffer<float> buffer in buffers)
            {
                buffer.Dispose();
            }
        }
    }
}
