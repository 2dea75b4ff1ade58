using System.Diagnostics;

namespace Kernels.Collectives.Protocol;

/// <summary>
/// How a waiting rank passes time: spin briefly (a peer on another core usually answers within a microsecond or
/// two), then yield the core (ranks may outnumber cores: in-process tests run 5 ranks on 2), then sleep 1 ms so a
/// long wait costs no CPU.
/// </summary>
internal struct Backoff
{
    private const int SpinIterations = 64;
    private static readonly long YieldTicks = Stopwatch.Frequency / 500; // 2 ms of yielding before sleeping

    private int _iteration;
    private long _yieldStart;

    internal void Pause()
    {
        if (_iteration < SpinIterations)
        {
            Thread.SpinWait(8 << Math.Min(_iteration, 4));
            _iteration++;
            return;
        }
        if (_yieldStart == 0)
        {
            _yieldStart = Stopwatch.GetTimestamp();
        }
        if (Stopwatch.GetTimestamp() - _yieldStart < YieldTicks)
        {
            Thread.Yield();
            return;
        }
        Thread.Sleep(1);
    }
}
