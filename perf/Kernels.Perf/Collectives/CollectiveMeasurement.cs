using Kernels.Perf.Core;

namespace Kernels.Perf.Collectives;

/// <summary>
/// A <see cref="PeerCase"/> as a suite measurement: Value is busbw in GB/s, SizeBytes the nccl-tests size, Threads the
/// ranks, Wrong the #wrong count, and for peers Note names the library. No STREAM limit is attached (the limit of a
/// collective depends on its memory traffic: see <see cref="BusBandwidth.LimitFromStream"/>), which also keeps these
/// rows out of the kernel-family tables.
/// </summary>
internal static class CollectiveMeasurement
{
    public const string Unit = "GB/s busbw";

    /// <summary>busbw is recomputed from size and time (the printed figures are rounded: tiny at 8 B).</summary>
    public static Measurement From(string implementation, PeerCase c)
    {
        double seconds = c.TimeUs / 1e6;
        double busbw = c.Bytes / seconds / 1e9 * BusBandwidth.Factor(c.Collective, c.Ranks);
        return new(CollectiveNames.Group, c.Collective, implementation, "f32", c.Bytes, $"{c.Count:N0} f32 per rank, {c.Ranks} ranks",
            c.Ranks, seconds, 0, busbw, Unit, null, c.Calls, CollectiveNames.IsOurs(implementation) ? null : c.Library, Wrong: c.Wrong);
    }

    public static Measurement NotRun(string implementation, string collective, long bytes, string reason) =>
        new(CollectiveNames.Group, collective, implementation, "f32", bytes, "", SweepPlan.Ranks, double.NaN, 0, double.NaN, Unit, null, 0,
            reason);

    /// <summary>algbw in GB/s: the size over the time.</summary>
    public static double AlgBw(Measurement m) => m.SizeBytes / m.Seconds / 1e9;
}
