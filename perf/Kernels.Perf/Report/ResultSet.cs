using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using Kernels.Perf.Machine;

namespace Kernels.Perf.Report;

/// <summary>Look-ups over one run's measurements: the STREAM limits and each kernel's figures by type, size and implementation.</summary>
public sealed class ResultSet(IReadOnlyList<Measurement> all)
{
    public IReadOnlyList<Measurement> All => all;

    /// <summary>STREAM copy or triad GB/s on <paramref name="threads"/> threads, the best of the run's passes; NaN when not measured.</summary>
    public double Stream(string limit, int threads) =>
        StreamPasses(limit, threads).DefaultIfEmpty(double.NaN).Max();

    /// <summary>Every pass of one STREAM probe (full probes and passes in turns with large cases), in run order.</summary>
    public IReadOnlyList<double> StreamPasses(string limit, int threads) =>
        all.Where(m => m.Family == "stream" && m.Implementation == limit && m.Threads == threads).Select(m => m.Value).ToList();

    /// <summary>The full probes only (256 MiB arrays, start and end of the run).</summary>
    public IReadOnlyList<double> StreamFullPasses(string limit, int threads) =>
        all.Where(m => m.Family == "stream" && m.Implementation == limit && m.Threads == threads && m.SizeBytes == StreamProbe.FullArrayBytes)
            .Select(m => m.Value).ToList();

    public double FmaPeak(string isa, int threads) =>
        all.FirstOrDefault(m => m.Family == "fma" && m.Implementation == isa && m.Threads == threads)?.Value ?? double.NaN;

    /// <summary>The instruction sets the FMA probe ran with ("avx2-fma", "avx512-fma").</summary>
    public IReadOnlyList<string> FmaIsas() => all.Where(m => m.Family == "fma").Select(m => m.Implementation).Distinct().ToList();

    /// <summary>
    /// The figure a kernel measurement is a fraction of: the all-core STREAM probe named by its limit, as
    /// timed in turns with it (large cases), else the run's best pass.
    /// </summary>
    public double LimitFor(Measurement m) => m.Limit is null ? double.NaN : m.LimitValue ?? Stream(m.Limit, m.Threads);

    public double PercentOfLimit(Measurement m) => 100 * m.Value / LimitFor(m);

    public Measurement? Find(string family, string dtype, long sizeBytes, string implementation) =>
        all.FirstOrDefault(m => m.Family == family && m.DType == dtype && m.SizeBytes == sizeBytes && m.Implementation == implementation);

    /// <summary>Kernel families in run order, each with its types in run order.</summary>
    public IEnumerable<(string Family, IReadOnlyList<string> DTypes)> KernelFamilies() =>
        all.Where(m => m.Limit is not null)
            .GroupBy(m => m.Family)
            .Select(g => (g.Key, (IReadOnlyList<string>)g.Select(m => m.DType).Distinct().ToList()));

    public IReadOnlyList<Measurement> Ours(string family, string dtype) =>
        all.Where(m => m.Family == family && m.DType == dtype && m.Implementation == Implementations.Ours).ToList();

    public IReadOnlyList<string> Peers(string family) =>
        all.Where(m => m.Family == family && m.Implementation != Implementations.Ours).Select(m => m.Implementation).Distinct().ToList();

    /// <summary>Peer time / our time at the same case: above 1 means ours is faster. NaN if either did not run.</summary>
    public double SpeedUp(Measurement ours, string peer)
    {
        Measurement? other = Find(ours.Family, ours.DType, ours.SizeBytes, peer);
        return other is { Ran: true } && ours.Ran ? other.Seconds / ours.Seconds : double.NaN;
    }
}
