using System.Globalization;
using Kernels.Collectives.Algorithms;

namespace Kernels.Collectives;

/// <summary><see cref="CommunicatorOptions"/> with every value resolved against the environment; identical on all ranks of an in-process job.</summary>
internal sealed record CommunicatorSettings(TimeSpan Timeout, CollectiveAlgorithm Algorithm, int SlotBytes, long HeapBytes, bool Debug,
    double SparseDenseThreshold)
{
    internal const int MinimumSlotBytes = 4096;

    /// <exception cref="ArgumentException">An option or environment variable holds an invalid value.</exception>
    internal static CommunicatorSettings Resolve(CommunicatorOptions? options, Func<string, string?> environment)
    {
        options ??= new CommunicatorOptions();
        TimeSpan timeout = options.Timeout ?? TimeoutFromEnvironment(environment("KN_TIMEOUT_MS")) ?? CommunicatorOptions.DefaultTimeout;
        if (timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), timeout, "CommunicatorOptions.Timeout must be positive.");
        }
        if (options.StagingSlotBytes < MinimumSlotBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.StagingSlotBytes,
                $"CommunicatorOptions.StagingSlotBytes must be at least {MinimumSlotBytes}.");
        }
        if (options.BufferHeapBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BufferHeapBytes, "CommunicatorOptions.BufferHeapBytes must not be negative.");
        }
        if (double.IsNaN(options.SparseDenseThreshold) || options.SparseDenseThreshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SparseDenseThreshold,
                "CommunicatorOptions.SparseDenseThreshold must be a non-negative number (infinity: never dense).");
        }
        if (!Enum.IsDefined(options.Algorithm))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Algorithm, "Undefined CollectiveAlgorithm.");
        }
        CollectiveAlgorithm algorithm = options.Algorithm != CollectiveAlgorithm.Auto
            ? options.Algorithm
            : AlgorithmChoice.Parse(environment("KN_ALGO"));
        bool debug = options.Debug ?? environment("KN_DEBUG")?.Trim() == "1";
        return new CommunicatorSettings(timeout, algorithm, options.StagingSlotBytes, options.BufferHeapBytes, debug,
            options.SparseDenseThreshold);
    }

    internal static CommunicatorSettings FromProcessEnvironment(CommunicatorOptions? options) =>
        Resolve(options, Environment.GetEnvironmentVariable);

    private static TimeSpan? TimeoutFromEnvironment(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long milliseconds) || milliseconds <= 0)
        {
            throw new ArgumentException($"KN_TIMEOUT_MS={value} is not a positive number of milliseconds.");
        }
        return TimeSpan.FromMilliseconds(milliseconds);
    }
}
