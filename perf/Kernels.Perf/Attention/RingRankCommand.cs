using System.Globalization;
using Kernels.Attention;
using Kernels.Collectives;
using Kernels.Perf.Collectives;

namespace Kernels.Perf.Attention;

/// <summary>
/// <c>kernels-perf ring-rank --block n --pass forward|backward [--causal] --calls c</c>: one rank of the ring attention
/// measurement across processes (started by <see cref="RingProcessCase"/> through the launcher). Each rank joins over
/// shared memory, binds its calling thread to its own core (as the collectives ranks do), runs <see cref="RingCase.RunRank"/>
/// on cores / ranks threads, and rank 0 prints the ranks' mean time per step and overlap efficiency as one line:
/// <c>ring-rank step-seconds=s overlap=f</c>.
/// </summary>
internal static class RingRankCommand
{
    public const string Name = "ring-rank";
    public const string ResultPrefix = "ring-rank ";

    public static int Execute(string[] args)
    {
        int block = 0, calls = 0;
        bool? backward = null;
        bool causal = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--block" when i + 1 < args.Length:
                    block = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--calls" when i + 1 < args.Length:
                    calls = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--pass" when i + 1 < args.Length:
                    backward = args[++i] switch { "forward" => false, "backward" => true, _ => null };
                    break;
                case "--causal":
                    causal = true;
                    break;
            }
        }
        if (block <= 0 || calls <= 0 || backward is null)
        {
            Console.Error.WriteLine($"usage: kernels-perf {Name} --block n --pass forward|backward [--causal] --calls c");
            return 2;
        }

        using Communicator communicator = Communicator.FromEnvironment(new CommunicatorOptions { Timeout = TimeSpan.FromMinutes(2) });
        CoreBinding.BindCurrentThread(communicator.Rank);
        KernelThreading.MaxDegreeOfParallelism = RingProcessCase.ThreadsPerRank(communicator.Size);
        var timings = new RingTimings();
        var shape = new AttentionShape(1, block, block, RingCase.Heads, RingCase.Heads, RingCase.HeadDim);
        RingCase.RunRank(communicator, shape, causal ? AttentionOptions.CausalMask : AttentionOptions.Default, backward.Value, calls, timings);

        double[] mine = [timings.Total.TotalSeconds / timings.Steps, timings.OverlapEfficiency];
        var all = new double[mine.Length * communicator.Size];
        communicator.AllGather<double>(mine, all);
        if (communicator.Rank == 0)
        {
            double step = Enumerable.Range(0, communicator.Size).Average(rank => all[2 * rank]);
            double overlap = Enumerable.Range(0, communicator.Size).Average(rank => all[2 * rank + 1]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ResultPrefix}step-seconds={step:R} overlap={overlap:R}"));
        }
        return 0;
    }
}
