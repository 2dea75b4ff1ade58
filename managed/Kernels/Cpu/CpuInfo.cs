using System.Runtime.InteropServices;
using Kernels.Interop;

namespace Kernels;

/// <summary>What the native kernels run on: SIMD targets and cores, and a way to pin dispatch to one target.</summary>
public static unsafe class CpuInfo
{
    /// <summary>Logical cores visible to this process.</summary>
    public static int Cores => Environment.ProcessorCount;

    /// <summary>The SIMD target the kernels dispatch to now.</summary>
    public static SimdTarget ActiveTarget => TargetOf(NativeMethods.kn_active_target());

    /// <summary>Targets compiled into the native library, best first.</summary>
    public static IReadOnlyList<SimdTarget> CompiledTargets => TargetsIn(NativeMethods.kn_compiled_targets());

    /// <summary>Compiled targets this CPU can run, best first (unaffected by <see cref="RestrictTo"/>).</summary>
    public static IReadOnlyList<SimdTarget> SupportedTargets => TargetsIn(NativeMethods.kn_supported_targets());

    /// <summary>
    /// Makes every kernel in the process dispatch to <paramref name="target"/> until the returned scope is disposed,
    /// which restores the CPU's best target. Meant for tests and benchmarks: do not call while other threads run kernels.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="target"/> is not one of <see cref="SupportedTargets"/>.</exception>
    public static IDisposable RestrictTo(SimdTarget target)
    {
        if (!SupportedTargets.Contains(target))
        {
            throw new ArgumentException(
                $"Target {target.Name} is not supported here; supported: {string.Join(", ", SupportedTargets)}.", nameof(target));
        }
        Native.Check(NativeMethods.kn_restrict_targets(target.Bit));
        return new RestrictionScope();
    }

    private static SimdTarget TargetOf(long bit) =>
        new(bit, Marshal.PtrToStringUTF8((nint)NativeMethods.kn_target_name(bit)) ?? "unknown");

    private static SimdTarget[] TargetsIn(long mask)
    {
        var targets = new List<SimdTarget>();
        for (long remaining = mask; remaining != 0; remaining &= remaining - 1)
        {
            targets.Add(TargetOf(remaining & -remaining));
        }
        // Highway numbers better targets with lower bits on x86 (AVX3 < AVX2 < SSE4), so ascending bits = best first.
        return targets.ToArray();
    }

    private sealed class RestrictionScope : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Native.Check(NativeMethods.kn_restrict_targets(0));
            }
        }
    }
}
