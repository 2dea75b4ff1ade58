using Kernels.Collectives;

namespace Kernels.Tests.Collectives;

/// <summary>
/// Outputs filled with a sentinel and remembered per rank thread, so a test can check that a collective which failed
/// (mismatch, bad input) left its caller's output unwritten.
/// </summary>
internal static class SentinelOutputs
{
    internal const float Sentinel = -7f;

    [ThreadStatic] private static float[]? t_output;

    /// <summary>A fresh output of <paramref name="count"/> sentinels, remembered for this rank thread.</summary>
    internal static float[] Output(int count)
    {
        t_output = Enumerable.Repeat(Sentinel, count).ToArray();
        return t_output;
    }

    /// <summary>Runs <paramref name="call"/> on every rank; returns each rank's exception and whether its <see cref="Output"/>
    /// (if it took one) stayed unwritten.</summary>
    internal static (Exception?[] Failures, bool[] Untouched) RunRecordingOutputs(TestJob job, Action<Communicator> call,
        TimeSpan? bound = null)
    {
        var untouched = new bool[job.Ranks.Length];
        Exception?[] failures = RankThreads.Run(job.Ranks, comm =>
        {
            t_output = null;
            try
            {
                call(comm);
            }
            finally
            {
                untouched[comm.Rank] = t_output is null || t_output.All(v => v == Sentinel);
            }
        }, bound);
        return (failures, untouched);
    }
}
