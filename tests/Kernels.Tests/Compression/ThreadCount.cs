namespace Kernels.Tests.Compression;

/// <summary>Runs code with <see cref="KernelThreading.MaxDegreeOfParallelism"/> set, restoring it after (callers are [NonParallelizable]).</summary>
internal static class ThreadCount
{
    internal static T With<T>(int threads, Func<T> run)
    {
        int saved = KernelThreading.MaxDegreeOfParallelism;
        KernelThreading.MaxDegreeOfParallelism = threads;
        try
        {
            return run();
        }
        finally
        {
            KernelThreading.MaxDegreeOfParallelism = saved;
        }
    }
}
