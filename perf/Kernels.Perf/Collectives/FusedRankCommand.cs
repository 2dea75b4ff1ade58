using System.Globalization;
using Kernels.Collectives;

namespace Kernels.Perf.Collectives;

/// <summary>
/// <c>kernels-perf fused-rank --tokens t,u,... --seconds s</c>: one rank of the fused comparison across processes (started
/// by <see cref="FusedComparison"/> through the launcher): joins over shared memory, binds its thread to its own core, and
/// per token count times the fused call and the unfused pair in turns (<see cref="FusedComparison.Time"/>); rank 0 prints
/// one line per count: <c>fused-rank tokens=t fused=s unfused=s calls=n,m</c>.
/// </summary>
internal static class FusedRankCommand
{
    public const string Name = "fused-rank";
    public const string ResultPrefix = "fused-rank ";

    public static int Execute(string[] args)
    {
        int[]? tokens = null;
        double seconds = 0;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--tokens":
                    tokens = args[i + 1].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--seconds":
                    seconds = double.Parse(args[i + 1], CultureInfo.InvariantCulture);
                    break;
            }
        }
        if (tokens is not { Length: > 0 } || seconds <= 0)
        {
            Console.Error.WriteLine($"usage: kernels-perf {Name} --tokens t,u,... --seconds s");
            return 2;
        }
        using Communicator communicator = Communicator.FromEnvironment(new CommunicatorOptions { Timeout = TimeSpan.FromSeconds(60) });
        CoreBinding.BindCurrentThread(communicator.Rank);
        foreach (int count in tokens)
        {
            (double Seconds, long Calls)[] timed = FusedComparison.Time(communicator, count, seconds);
            if (communicator.Rank == 0)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{ResultPrefix}tokens={count} fused={timed[0].Seconds:R} unfused={timed[1].Seconds:R} calls={timed[0].Calls},{timed[1].Calls}"));
            }
        }
        return 0;
    }
}
