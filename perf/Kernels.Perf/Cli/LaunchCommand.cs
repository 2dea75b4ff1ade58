using System.Globalization;
using Kernels.Collectives;

namespace Kernels.Perf.Cli;

/// <summary>
/// `kernels-perf launch -n N [--timeout S] [--grace S] -- command [args]`: runs N local ranks of a shared-memory job
/// (<see cref="LocalLauncher"/>), their output prefixed with the rank; exits with the first failing rank's code.
/// </summary>
public static class LaunchCommand
{
    public const string Usage = """
          kernels-perf launch -n N [--timeout S] [--grace S] -- <command> [args]
              Starts N processes of <command> on this host with KN_RANK, KN_WORLD_SIZE and a fresh random KN_JOB
              (Communicator.FromEnvironment joins them over shared memory) and prefixes their output with the rank.
              If a rank exits non-zero the others are killed after the grace period (default 10 s) and launch
              exits with that rank's code; past --timeout every rank is killed and launch exits with 124.
        """;

    public static int Execute(string[] args)
    {
        int separator = Array.IndexOf(args, "--");
        if (separator < 0 || separator == args.Length - 1)
        {
            return Fail("expected `-- <command> [args]` after the launch options.");
        }
        int? size = null;
        TimeSpan? timeout = null;
        TimeSpan grace = LaunchOptions.DefaultGracePeriod;
        for (int i = 0; i < separator; i++)
        {
            string? value = i + 1 < separator ? args[i + 1] : null;
            switch (args[i])
            {
                case "-n" or "--ranks" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ranks) && ranks is >= 1 and <= Communicator.MaxSize:
                    size = ranks;
                    i++;
                    break;
                case "--timeout" when Seconds(value) is TimeSpan seconds:
                    timeout = seconds;
                    i++;
                    break;
                case "--grace" when Seconds(value) is TimeSpan seconds:
                    grace = seconds;
                    i++;
                    break;
                default:
                    return Fail($"unknown option or invalid value at '{args[i]}' (-n takes 1..{Communicator.MaxSize}, --timeout and --grace positive seconds).");
            }
        }
        if (size is not int n)
        {
            return Fail("-n N is required.");
        }

        var options = new LaunchOptions { Timeout = timeout, GracePeriod = grace };
        LaunchResult result;
        try
        {
            result = LocalLauncher.Run(n, args[separator + 1], args[(separator + 2)..], options);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Console.Error.WriteLine($"launch: cannot start '{args[separator + 1]}': {e.Message}");
            return 127;
        }
        if (result.TimedOut)
        {
            Console.Error.WriteLine($"launch: the job passed its {timeout!.Value.TotalSeconds:0.###} s timeout; killed every rank.");
        }
        else if (result.FirstFailedRank is int failed)
        {
            Console.Error.WriteLine($"launch: rank {failed} exited with {result.ExitCodes[failed]}; exit codes: {string.Join(", ", result.ExitCodes)}.");
        }
        return result.ExitCode;
    }

    private static TimeSpan? Seconds(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds)
            : null;

    private static int Fail(string problem)
    {
        Console.Error.WriteLine($"launch: {problem}");
        Console.Error.WriteLine("usage:");
        Console.Error.WriteLine(Usage);
        return 2;
    }
}
