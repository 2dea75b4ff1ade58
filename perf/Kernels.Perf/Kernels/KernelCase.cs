using Kernels.Perf.Core;
using Kernels.Perf.Machine;

namespace Kernels.Perf.Kernels;

/// <summary>
/// One kernel at one type and size, with the bytes a call must move and the STREAM probe it is
/// compared with. Contenders are built when the case runs (they bind buffers) and take turns being
/// timed on the same memory.
/// </summary>
/// <param name="Limit">"triad" for kernels with three or more streams, "copy" for two.</param>
public sealed record KernelCase(
    string Family,
    string DType,
    long OperandBytes,
    string Shape,
    long BytesMoved,
    string Limit,
    Func<BenchmarkContext, IReadOnlyList<Contender>> Contenders)
{
    /// <summary>
    /// From this operand size on, a case's streams together fill or exceed the 32 MiB L3: its % of STREAM
    /// is a headline figure, against a STREAM pass timed in turns with it.
    /// </summary>
    public const long LargeBytes = 16L << 20;

    public string ItemName => $"kernels/{Family}/{DType}/{KernelSizes.Label(OperandBytes)}";

    /// <summary>Rough cost for the ETA: each contender's measuring time plus its slowest possible calls.</summary>
    public double EstimatedSeconds(TimingPolicy policy, int contenders) =>
        contenders * (policy.WarmupSeconds + policy.MinSeconds + BytesMoved / 5e9 * policy.MinSamples);

    public BenchmarkItem ToItem(TimingPolicy policy, int contenders) => new(ItemName, EstimatedSeconds(policy, contenders), Run);

    private IReadOnlyList<Measurement> Run(BenchmarkContext context)
    {
        var results = new List<Measurement>();
        IReadOnlyList<Contender> contenders = Contenders(context);
        try
        {
            List<Contender> runnable = contenders.Where(c => c.Call is not null).ToList();
            List<Action> calls = runnable.Select(c => c.Call!).ToList();
            // Large cases time the STREAM probe in turns with the kernels: the limit of the same moments.
            (Action Call, long BytesMoved)? stream = OperandBytes >= LargeBytes ? StreamProbe.InTurns(context, Limit) : null;
            if (stream is { } s)
            {
                calls.Add(s.Call);
            }
            IReadOnlyList<Timing> timings = MedianTimer.MeasureInTurns(calls, context.Timing);
            double? limitValue = null;
            if (stream is { } pass)
            {
                Measurement limit = StreamProbe.InTurnsResult(Limit, context.Threads, pass.BytesMoved, timings[^1], ItemName);
                results.Add(limit);
                limitValue = limit.Value;
            }
            foreach (Contender contender in contenders)
            {
                int index = runnable.IndexOf(contender);
                results.Add(index < 0
                    ? Measurement.NotRun(Family, contender.Implementation, DType, OperandBytes, Shape, context.Threads, Limit,
                        contender.UnavailableReason ?? "unavailable")
                    : Measurement.Bandwidth(Family, contender.Implementation, DType, OperandBytes, Shape, context.Threads,
                        BytesMoved, Limit, timings[index], limitValue));
            }
        }
        finally
        {
            foreach (Contender contender in contenders)
            {
                contender.Resources?.Dispose();
            }
        }
        return results;
    }
}
