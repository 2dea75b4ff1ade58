namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>
/// Keeps a rank's heartbeat (its header's <see cref="RegionHeader.HeartbeatMilliseconds"/>) fresh from a thread of its
/// own, also while the rank computes between collectives; peers take a heartbeat older than
/// <see cref="StaleAfterMilliseconds"/> for a process that is stopped or wedged though it still exists.
/// </summary>
/// <remarks>
/// <see cref="Environment.TickCount64"/> is the host's monotonic clock, the same in every process. A dedicated thread
/// rather than a timer: a busy thread pool must not make a healthy rank look dead.
/// </remarks>
internal sealed unsafe class Heartbeat : IDisposable
{
    internal const int IntervalMilliseconds = 100;
    internal const int StaleAfterMilliseconds = 10_000;

    private readonly long* _target;
    private readonly ManualResetEventSlim _stop = new();
    private readonly Thread _thread;

    internal Heartbeat(long* target, int rank)
    {
        _target = target;
        Beat();
        _thread = new Thread(Run) { IsBackground = true, Name = $"kn-shm heartbeat rank {rank}" };
        _thread.Start();
    }

    internal static bool IsStale(long heartbeatMilliseconds) =>
        Environment.TickCount64 - heartbeatMilliseconds > StaleAfterMilliseconds;

    private void Beat() => Volatile.Write(ref *_target, Environment.TickCount64);

    private void Run()
    {
        while (!_stop.Wait(IntervalMilliseconds))
        {
            Beat();
        }
    }

    /// <summary>Stops beating; must happen before the region is unmapped.</summary>
    public void Dispose()
    {
        _stop.Set();
        _thread.Join();
        _stop.Dispose();
    }
}
