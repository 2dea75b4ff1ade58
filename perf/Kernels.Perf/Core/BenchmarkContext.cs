namespace Kernels.Perf.Core;

/// <summary>What every item of one run shares: options, timing policy, thread count, buffers, and resources to dispose at the end.</summary>
public sealed class BenchmarkContext : IDisposable
{
    private readonly List<IDisposable> _resources = [];

    public BenchmarkContext(RunOptions options)
    {
        Options = options;
        Timing = options.Quick ? TimingPolicy.Quick : TimingPolicy.Full;
        Threads = KernelThreading.MaxDegreeOfParallelism;
    }

    public RunOptions Options { get; }

    public TimingPolicy Timing { get; }

    /// <summary>Threads our operators use; every peer gets the same number.</summary>
    public int Threads { get; }

    /// <summary>One core, then every core the kernels use: the thread counts limits are measured at.</summary>
    public int[] OneAndAllThreads => Threads > 1 ? [1, Threads] : [1];

    public BufferPool Buffers { get; } = new();

    /// <summary>Keeps <paramref name="resource"/> alive until the run ends (sessions, models).</summary>
    public T Own<T>(T resource) where T : IDisposable
    {
        _resources.Add(resource);
        return resource;
    }

    public void Dispose()
    {
        for (int i = _resources.Count - 1; i >= 0; i--)
        {
            _resources[i].Dispose();
        }
        _resources.Clear();
        Buffers.Dispose();
    }
}
