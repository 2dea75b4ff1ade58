using Kernels.Perf.Machine;

namespace Kernels.Perf.Attention;

/// <summary>
/// The FMA peak probe as one more contender of an attention case: it takes its turns between the kernels' calls, so a
/// case's % of peak divides two rates measured under the same load. On the shared 2-core machines the load changes
/// within seconds: the machine/fma item, measured once at the start of the run, read 128 to 188 GFLOP/s for 2 threads in
/// runs minutes apart, against ~520 for an idle machine (one core: ~264 GFLOP/s of thread CPU time, 64 FLOP per cycle).
/// </summary>
internal sealed class FmaPeakInTurns
{
    /// <summary>Each call runs the probe about as long as one attention call of the group lasts.</summary>
    private const double SecondsPerCall = 0.02;

    private readonly int _threads;
    private readonly int _vectorBits = PerfProbe.WidestVectorBits();
    private readonly List<double> _gflops = [];

    public FmaPeakInTurns(int threads) => _threads = threads;

    /// <summary>False when the CPU has neither AVX2 + FMA nor AVX-512F (the probe has no loop for it).</summary>
    public bool Available => _vectorBits > 0;

    public void Call() => _gflops.Add(PerfProbe.FmaPeakGflops(_threads, SecondsPerCall, _vectorBits));

    /// <summary>Median GFLOP/s of the calls so far (warm-up included), NaN before the first.</summary>
    public double MedianGflops
    {
        get
        {
            if (_gflops.Count == 0)
            {
                return double.NaN;
            }
            List<double> sorted = _gflops.Order().ToList();
            return sorted[sorted.Count / 2];
        }
    }
}
