namespace Kernels.Perf.Core;

/// <summary>
/// One timed figure. Kernel figures carry the bytes the operation must move, so the report can turn
/// them into GB/s and a fraction of the STREAM probe named by <see cref="Limit"/>.
/// </summary>
/// <param name="Group">Benchmark group ("machine", "kernels").</param>
/// <param name="Family">What was measured: "stream", "fma", "reduce.combine", "rmsnorm", "single-row", ...</param>
/// <param name="Implementation">"Kernels" for this library; a peer's name otherwise.</param>
/// <param name="DType">Element type ("f32", "bf16", "f32->bf16"), empty when none applies.</param>
/// <param name="SizeBytes">Bytes of one input operand in its own type (the size axis of tables and charts).</param>
/// <param name="Shape">Human-readable shape, e.g. "4096 x 4096" or "16M".</param>
/// <param name="Threads">Threads the implementation was allowed to use.</param>
/// <param name="Seconds">Median seconds per call; NaN when the implementation could not run (see <see cref="Note"/>).</param>
/// <param name="BytesMoved">Bytes one call must read and write (0 when not a bandwidth figure).</param>
/// <param name="Value">The figure in <see cref="Unit"/>: GB/s, GFLOP/s or ns per row.</param>
/// <param name="Limit">STREAM probe this figure is a fraction of ("copy" or "triad"), if any.</param>
/// <param name="Calls">Calls timed in total.</param>
/// <param name="LimitValue">The <see cref="Limit"/> probe's GB/s measured in turns with this case, when it was (large cases).</param>
/// <param name="Wrong">For figures whose result was checked (collectives): elements differing from the expected result, as nccl-tests' #wrong.</param>
public sealed record Measurement(
    string Group,
    string Family,
    string Implementation,
    string DType,
    long SizeBytes,
    string Shape,
    int Threads,
    double Seconds,
    long BytesMoved,
    double Value,
    string Unit,
    string? Limit,
    long Calls,
    string? Note = null,
    double? LimitValue = null,
    long? Wrong = null)
{
    public bool Ran => !double.IsNaN(Seconds);

    /// <summary>A bandwidth figure for a call that moves <paramref name="bytesMoved"/> bytes in <paramref name="timing"/>.</summary>
    public static Measurement Bandwidth(string family, string implementation, string dtype, long sizeBytes, string shape,
        int threads, long bytesMoved, string limit, Timing timing, double? limitValue) =>
        new("kernels", family, implementation, dtype, sizeBytes, shape, threads, timing.MedianSeconds, bytesMoved,
            bytesMoved / timing.MedianSeconds / 1e9, "GB/s", limit, timing.Calls, LimitValue: limitValue);

    /// <summary>A contender that could not run here, kept so the report can say why.</summary>
    public static Measurement NotRun(string family, string implementation, string dtype, long sizeBytes, string shape,
        int threads, string limit, string reason) =>
        new("kernels", family, implementation, dtype, sizeBytes, shape, threads, double.NaN, 0, double.NaN, "GB/s", limit, 0, reason);
}
