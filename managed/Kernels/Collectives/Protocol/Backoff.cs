using System.Diagnostics;

namespace Kernels.Collectives.Protocol;

/// <summary>
/// How a waiting rank passes time, by the clock rather than by iterations: spin for <see cref="SpinTicks"/> (a peer
/// on another core answers within a microsecond or two), then yield the core until <see cref="YieldTicks"/> (ranks may
/// outnumber cores: in-process tests run 5 ranks on 2, other jobs share the machine, and two rank processes may be
/// scheduled on one core), and only then sleep 1 ms, so a rank that waits for a peer busy computing costs no CPU.
/// </summary>
/// <remarks>
/// Measured on the 2-core build machine, 8-byte all-reduce at 2 ranks. The earlier ladder (64 iterations of
/// <c>Thread.SpinWait(8..128)</c> = 360 µs of spinning, 2 ms of yielding, then 1 ms sleeps) took 500-770 µs a call
/// in-process under load 12, and 100-400 µs across processes: a peer preempted for a time slice sent the waiter into
/// 1.1-1.3 ms sleeps, and the sleeper then held up its peer in turn; now 1.6-3.5 µs in-process. Spin budget: 50 µs
/// cost 52.5 µs a call whenever the scheduler kept both rank processes on one core (the waiter spins out its budget
/// before the peer it waits for can run), 10 µs cost 7-12 µs there, with no loss when the ranks are on their own
/// cores. Between looks, <c>SpinWait(1)</c> (~50 ns): <c>SpinWait(8)</c> (~0.37 µs) gave 0.5 µs a call instead of 0.3 µs.
/// In a quiet minute (load 1.5), 2 processes: 0.97-1.06 µs for the committed build (ranks unbound), 0.30-0.32 µs now
/// (ranks bound to their own cores by the benchmark, as mpirun binds the MPI ranks).
/// Yielding for 20 ms before sleeping covers a preempted peer's time slice (several ms under load).
/// </remarks>
internal struct Backoff
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 100_000; // 10 µs
    private static readonly long YieldTicks = Stopwatch.Frequency / 50; // 20 ms

    private long _start;

    internal void Pause()
    {
        long now = Stopwatch.GetTimestamp();
        if (_start == 0)
        {
            _start = now;
        }
        long waited = now - _start;
        if (waited < SpinTicks)
        {
            Thread.SpinWait(1);
            return;
        }
        if (waited < YieldTicks)
        {
            Thread.Yield();
            return;
        }
        Thread.Sleep(1);
    }
}
