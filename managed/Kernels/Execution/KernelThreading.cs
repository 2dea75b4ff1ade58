namespace Kernels;

/// <summary>How many threads the operators may use for one call.</summary>
public static class KernelThreading
{
    private static int s_maxDegreeOfParallelism = Environment.ProcessorCount;

    /// <summary>
    /// Threads one operator call may use (the caller's thread included); default: the logical core count.
    /// Calls that move less than 2 MiB always run on the caller's thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is less than 1.</exception>
    public static int MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref s_maxDegreeOfParallelism);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_maxDegreeOfParallelism, value);
        }
    }
}
