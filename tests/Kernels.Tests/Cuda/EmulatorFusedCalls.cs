using Kernels.Tests.Cuda.Emulation;

namespace Kernels.Tests.Cuda;

// Calls into the emulator for cuda/fused_allreduce_norm.cu: several emulated GPUs, one OS thread each.
internal static unsafe partial class Emulator
{
    /// <summary>
    /// Runs the fused all-reduce + add + RMSNorm on <c>x.Length</c> emulated ranks (rank r reads x[r], updates residual[r],
    /// writes y[r]) <paramref name="launches"/> times. Only the ranks in <paramref name="runMask"/> launch. The arrays are
    /// staged in native memory 16-byte aligned (<paramref name="aligned"/>: the kernel's 128-bit path when cols % 8 == 0)
    /// or one element off (its element path). Returns each rank's status word: 0, or 1 + the peer it gave up waiting for.
    /// </summary>
    internal static uint[] FusedAllReduceNorm<T>(FusedAlgorithm algorithm, T[][] x, T[][] residual, T[] weight, T[][] y, int rows, int cols,
        float eps, uint grid, uint block, uint launches = 1, uint runMask = uint.MaxValue, uint timeoutPolls = 1_000_000, bool aligned = true)
        where T : unmanaged
    {
        int world = x.Length, offset = aligned ? 0 : 1;
        var staged = new List<AlignedArray<T>>();
        try
        {
            AlignedArray<T> Stage(T[] values)
            {
                var array = new AlignedArray<T>(values, offset);
                staged.Add(array);
                return array;
            }
            var sx = x.Select(Stage).ToArray();
            var sr = residual.Select(Stage).ToArray();
            var sy = y.Select(Stage).ToArray();
            var sw = Stage(weight);
            void*[] px = new void*[world], pr = new void*[world], py = new void*[world];
            for (int r = 0; r < world; r++)
            {
                px[r] = sx[r].Pointer;
                pr[r] = sr[r].Pointer;
                py[r] = sy[r].Pointer;
            }
            var status = new uint[world];
            var kind = algorithm == FusedAlgorithm.OneShot ? kne_fused_algorithm.KNE_FUSED_ONE_SHOT : kne_fused_algorithm.KNE_FUSED_TWO_SHOT;
            fixed (void** ppx = px, ppr = pr, ppy = py)
            fixed (uint* ps = status)
                Check(EmulatorMethods.kne_fused_allreduce_norm(Dtype<T>(), kind, (uint)world, ppx, ppr, sw.Pointer, ppy, (ulong)rows, (ulong)cols, eps,
                    launches, runMask & ((1u << world) - 1), timeoutPolls, ps, grid, block));
            for (int r = 0; r < world; r++)
            {
                sr[r].Span.CopyTo(residual[r]);
                sy[r].Span.CopyTo(y[r]);
            }
            return status;
        }
        finally
        {
            foreach (var array in staged)
                array.Dispose();
        }
    }
}

/// <summary>The two algorithms of cuda/fused_allreduce_norm.cu, as a test parameter.</summary>
public enum FusedAlgorithm { OneShot, TwoShot }
