using Kernels.Tests.Cuda.Emulation;

namespace Kernels.Tests.Cuda;

// Calls into the emulator for cuda/fused_allreduce_norm.cu: several emulated GPUs, one OS thread each.
internal static unsafe partial class Emulator
{
    /// <summary>
    /// Runs the fused all-reduce + add + RMSNorm on <c>x.Length</c> emulated ranks (rank r reads x[r], updates residual[r],
    /// writes y[r]) <paramref name="launches"/> times. Only the ranks in <paramref name="runMask"/> launch. Returns each
    /// rank's status word: 0, or 1 + the peer it gave up waiting for.
    /// </summary>
    internal static uint[] FusedAllReduceNorm<T>(FusedAlgorithm algorithm, T[][] x, T[][] residual, T[] weight, T[][] y, int rows, int cols,
        float eps, uint grid, uint block, uint launches = 1, uint runMask = uint.MaxValue, uint timeoutPolls = 1_000_000) where T : unmanaged
    {
        int world = x.Length;
        var pins = new List<System.Runtime.InteropServices.GCHandle>();
        try
        {
            void*[] px = new void*[world], pr = new void*[world], py = new void*[world];
            for (int r = 0; r < world; r++)
            {
                px[r] = Pin(x[r]);
                pr[r] = Pin(residual[r]);
                py[r] = Pin(y[r]);
            }
            var status = new uint[world];
            fixed (void** ppx = px, ppr = pr, ppy = py)
            fixed (T* pw = weight)
            fixed (uint* ps = status)
                Check(EmulatorMethods.kne_fused_allreduce_norm(Dtype<T>(),
                    algorithm == FusedAlgorithm.OneShot ? kne_fused_algorithm.KNE_FUSED_ONE_SHOT : kne_fused_algorithm.KNE_FUSED_TWO_SHOT, (uint)world, ppx, ppr, pw, ppy, (ulong)rows, (ulong)cols, eps,
                    launches, runMask & ((1u << world) - 1), timeoutPolls, ps, grid, block));
            return status;
        }
        finally
        {
            foreach (var pin in pins)
                pin.Free();
        }

        void* Pin(T[] array)
        {
            var handle = System.Runtime.InteropServices.GCHandle.Alloc(array, System.Runtime.InteropServices.GCHandleType.Pinned);
            pins.Add(handle);
            return (void*)handle.AddrOfPinnedObject();
        }
    }
}

/// <summary>The two algorithms of cuda/fused_allreduce_norm.cu, as a test parameter.</summary>
public enum FusedAlgorithm { OneShot, TwoShot }
