using Kernels.Perf.Core;

namespace Kernels.Perf.Collectives;

/// <summary>
/// Collectives at 2 ranks, as nccl-tests measures them (time, algbw, busbw, #wrong), for 8 B .. 256 MiB: all-reduce,
/// reduce-scatter and all-gather of f32 (sum) with our communicator — ranks as threads (in-process transport) and as
/// processes over shared memory (user spans and AllocateBuffer buffers), and over our MPI path (two simulated hosts) — against MPI (its collectives through libkernels_mpi, timed in turns with ours in the same processes under mpirun) and
/// Gloo's ring all-reduce (gloo::AllreduceRing, also in our rank processes). One item per collective and size; the child-process contenders sweep all
/// planned sizes once, during the first item. Then the sparse all-gather's time vs density on its sparse and dense
/// paths (<see cref="SparseCrossover"/>) and the fused all-reduce + add + RMSNorm against the unfused pair
/// (<see cref="FusedComparison"/>), and the all-reduce algorithms against each other at 2..4 ranks
/// (<see cref="AlgorithmComparison"/>). About 2 minutes in a full run, a few seconds with --quick.
/// </summary>
public sealed class CollectivesGroup : IBenchmarkGroup
{
    public string Name => CollectiveNames.Group;

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context)
    {
        bool quick = context.Options.Quick;
        double seconds = SweepPlan.SecondsFor(quick);
        var cases = (from collective in CollectiveNames.All
                     from bytes in SweepPlan.SizesFor(quick)
                     select (Collective: collective, Bytes: bytes, Name: $"{Name}/{collective}/f32/{CollectiveNames.SizeLabel(bytes)}"))
            .Where(c => context.Options.Filter is null || c.Name.Contains(context.Options.Filter, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var items = new List<BenchmarkItem>();
        foreach ((string name, double estimate, Func<IReadOnlyList<Measurement>> measure) in new (string, double, Func<IReadOnlyList<Measurement>>)[]
        {
            ($"{Name}/{SparseCrossover.Family}/f32", 2 * SparseCrossover.Densities(quick).Count * (1.6 * seconds + 0.3),
                () => SparseCrossover.Measure(quick, seconds)),
            ($"{Name}/{FusedComparison.Family}/f32", 3 + 4 * FusedComparison.Tokens(quick).Count * (1.6 * seconds + 0.3),
                () => FusedComparison.Measure(quick, seconds)),
            ($"{Name}/{AlgorithmComparison.Family}/f32", AlgorithmComparison.Ranks(quick).Count * AlgorithmComparison.Sizes(quick).Sum(bytes => 5 * CaseSeconds(bytes, seconds)),
                () => AlgorithmComparison.Measure(quick, seconds)),
        })
        {
            if (context.Options.Filter is null || name.Contains(context.Options.Filter, StringComparison.OrdinalIgnoreCase))
            {
                items.Add(new BenchmarkItem(name, estimate, _ => measure()));
            }
        }
        if (cases.Count == 0)
        {
            return items;
        }
        var plan = new SweepPlan(cases.Select(c => c.Bytes).Distinct().Order().ToList(), cases.Select(c => c.Collective).Distinct().ToList(), seconds);
        var children = new ChildSweeps(plan);
        ThreadRanks? threads = null;
        // The first item also waits for the child sweeps: four more contenders (Gloo only all-reduces), plus start-up,
        // and all-reduce with two-shot and the ring forced (two jobs, spans and buffers).
        double childSeconds = 10 + 3.4 * cases.Sum(c => CaseSeconds(c.Bytes, seconds))
            + 4 * cases.Where(c => c.Collective == CollectiveNames.AllReduce).Sum(c => CaseSeconds(c.Bytes, seconds));
        return cases.Select((c, i) => new BenchmarkItem(c.Name, CaseSeconds(c.Bytes, seconds) + (i == 0 ? childSeconds : 0), ctx =>
        {
            threads ??= ctx.Own(new ThreadRanks(seconds));
            return Measure(children, threads, c.Collective, c.Bytes);
        })).Concat(items).ToList();
    }

    /// <summary>The timed budget plus warm-up, and for the largest sizes the few calls that exceed it.</summary>
    private static double CaseSeconds(long bytes, double seconds) => 1.6 * seconds + 3 * bytes / 1e9;

    private static IReadOnlyList<Measurement> Measure(ChildSweeps children, ThreadRanks threads, string collective, long bytes)
    {
        var results = new List<Measurement> { CollectiveMeasurement.From(CollectiveNames.Threads, threads.Measure(collective, bytes)) };
        foreach ((string implementation, PeerCase? found, string? problem) in children.CasesAt(collective, bytes))
        {
            results.Add(found is null
                ? CollectiveMeasurement.NotRun(implementation, collective, bytes, problem!)
                : CollectiveMeasurement.From(implementation, found));
        }
        return results;
    }
}
