using Kernels.Tests.Cuda.Emulation;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The emulator itself (cuda/emu): warp shuffles and votes, shared memory and atomics, and its diagnostics for a
/// deadlock, a warp operation naming an exited lane, __trap and an invalid configuration.
/// </summary>
public class EmulatorSchedulerTests
{
    [Test]
    public void ShufflesFollowCudaSemantics()
    {
        const int threads = 64;
        var output = new int[threads * 4];
        Assert.That(Emulator.Probe(kne_probe.KNE_PROBE_SHUFFLES, output, 1, threads).Status, Is.EqualTo(kne_status.KNE_OK));
        for (int t = 0; t < threads; t++)
        {
            int lane = t % 32, warpBase = t - lane, segment = lane & ~7, inSegment = lane - segment;
            Assert.That(output[t * 4 + 0], Is.EqualTo(warpBase + (lane + 5) % 32), $"__shfl_sync thread {t}");
            Assert.That(output[t * 4 + 1], Is.EqualTo(inSegment >= 3 ? t - 3 : t), $"__shfl_up_sync width 8, thread {t}");
            Assert.That(output[t * 4 + 2], Is.EqualTo(inSegment + 3 < 8 ? t + 3 : t), $"__shfl_down_sync width 8, thread {t}");
            Assert.That(output[t * 4 + 3], Is.EqualTo(warpBase + (lane ^ 5)), $"__shfl_xor_sync thread {t}");
        }
    }

    [Test]
    public void VotesSeeEveryLaneOfTheMask()
    {
        const int threads = 64;
        var output = new int[threads * 3];
        Assert.That(Emulator.Probe(kne_probe.KNE_PROBE_VOTES, output, 1, threads).Status, Is.EqualTo(kne_status.KNE_OK));
        for (int t = 0; t < threads; t++)
        {
            int warpBase = t - t % 32;
            uint ballot = 0;
            for (int lane = 0; lane < 32; lane++)
                if ((warpBase + lane) % 3 == 0) ballot |= 1u << lane;
            Assert.That((uint)output[t * 3], Is.EqualTo(ballot), $"__ballot_sync thread {t}");
            Assert.That(output[t * 3 + 1], Is.EqualTo(1), $"__any_sync thread {t}");
            Assert.That(output[t * 3 + 2], Is.EqualTo(0), $"__all_sync thread {t}");
        }
    }

    [Test]
    public void SharedMemoryIsPerBlockAndAtomicsAreAtomic()
    {
        var output = new int[3];
        Assert.That(Emulator.Probe(kne_probe.KNE_PROBE_SHARED_AND_ATOMICS, output, 3, 96).Status, Is.EqualTo(kne_status.KNE_OK));
        Assert.That(output, Is.All.EqualTo(95 * 96 / 2));
    }

    [Test]
    public void HalfWarpsShuffleIndependentlyUnderTheirOwnMasks()
    {
        const int threads = 64;
        var output = new int[threads / 16 * 2];
        Assert.That(Emulator.Probe(kne_probe.KNE_PROBE_HALF_WARPS, output, 1, threads).Status, Is.EqualTo(kne_status.KNE_OK));
        for (int half = 0; half < threads / 16; half++)
        {
            int rounds = half % 2 == 1 ? 3 : 1;
            Assert.That(output[2 * half], Is.EqualTo(16 * rounds), $"64-bit high part, half-warp {half}");
            Assert.That(output[2 * half + 1], Is.EqualTo(rounds * Enumerable.Range(16 * half, 16).Sum()), $"thread-index sum, half-warp {half}");
        }
    }

    [Test]
    public void ThreadsSplitBetweenABarrierAndAWarpSyncAreADeadlock()
    {
        var (status, message) = Emulator.Probe(kne_probe.KNE_PROBE_BARRIER_SKIPPED, new int[64], 1, 64);
        Assert.That(status, Is.EqualTo(kne_status.KNE_LAUNCH_FAILED));
        Assert.That(message, Does.StartWith("kernel kn_probe::barrier_skipped: deadlock in block (0,0,0)")
            .And.Contain("5 thread(s) wait at __syncthreads"));
    }

    [Test]
    public void WarpOperationNamingAnExitedLaneIsReported()
    {
        var (status, message) = Emulator.Probe(kne_probe.KNE_PROBE_EXITED_LANE, new int[32], 1, 32);
        Assert.That(status, Is.EqualTo(kne_status.KNE_LAUNCH_FAILED));
        Assert.That(message, Does.Contain("kn_probe::exited_lane").And.Contain("names lane 3, which has exited"));
    }

    [Test]
    public void TrapStopsTheLaunchNamingTheThread()
    {
        var (status, message) = Emulator.Probe(kne_probe.KNE_PROBE_TRAP, new int[32], 1, 32);
        Assert.That(status, Is.EqualTo(kne_status.KNE_LAUNCH_FAILED));
        Assert.That(message, Is.EqualTo("kernel kn_probe::trap: block (0,0,0) thread (7,0,0): __trap() called"));
    }

    [Test]
    public void InvalidConfigurationIsRefusedBeforeAnyThreadRuns([Values(0u, 2048u)] uint block)
    {
        var output = new int[4];
        var (status, message) = Emulator.Probe(kne_probe.KNE_PROBE_SHARED_AND_ATOMICS, output, 1, block);
        Assert.That(status, Is.EqualTo(kne_status.KNE_LAUNCH_FAILED));
        Assert.That(message, Does.Contain("invalid configuration"));
        Assert.That(output, Is.All.EqualTo(0));
    }
}
