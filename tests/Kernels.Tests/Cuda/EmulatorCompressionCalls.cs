using Kernels.Tests.Cuda.Emulation;

namespace Kernels.Tests.Cuda;

// Calls into the emulator for the gradient-compression kernels of cuda/ (1-bit, top-k, error feedback, PowerSGD) and the
// attention merge.
internal static unsafe partial class Emulator
{
    /// <summary>1-bit compress of g; with <paramref name="e"/> the fused EF14 step writing <paramref name="eNew"/>.</summary>
    internal static void OneBitCompress<T>(ReadOnlySpan<T> g, float[]? e, int chunk, kne_scale_kind kind, uint[] signs, float[] scales, float[]? eNew,
        uint grid, uint block) where T : unmanaged
    {
        fixed (T* pg = g)
        fixed (float* pe = e, pn = eNew, ps = scales)
        fixed (uint* pw = signs)
            Check(EmulatorMethods.kne_onebit_compress(Dtype<T>(), pg, pe, (ulong)g.Length, (ulong)chunk, kind, pw, ps, pn, grid, block));
    }

    internal static void OneBitDecompress<T>(uint[] signs, float[] scales, int chunk, Span<T> dst, uint grid, uint block) where T : unmanaged
    {
        fixed (uint* pw = signs)
        fixed (float* ps = scales)
        fixed (T* pd = dst)
            Check(EmulatorMethods.kne_onebit_decompress(pw, ps, (ulong)dst.Length, (ulong)chunk, Dtype<T>(), pd, grid, block));
    }

    /// <summary>The whole top-k launch sequence; returns (indices, values).</summary>
    internal static (uint[] Indices, float[] Values) TopK(float[] x, int k, uint grid, uint block)
    {
        var indices = new uint[k];
        var values = new float[k];
        var workspace = new uint[EmulatorMethods.kne_topk_workspace_words((ulong)x.Length)];
        fixed (float* px = x, pv = values)
        fixed (uint* pi = indices, pw = workspace)
            Check(EmulatorMethods.kne_topk(px, (ulong)x.Length, (ulong)k, pi, pv, pw, grid, block));
        return (indices, values);
    }

    internal static void Feedback(kne_feedback_step step, float[]? state, float[]? a, float[]? b, float[]? output, int count, float eta,
        uint grid, uint block)
    {
        fixed (float* ps = state, pa = a, pb = b, po = output)
            Check(EmulatorMethods.kne_feedback(step, ps, pa, pb, po, (ulong)count, eta, grid, block));
    }

    internal static void AttentionMerge<T>(T[] oA, float[] lseA, T[] oB, float[] lseB, T[] o, float[] lse, int valueDim, uint grid, uint block)
        where T : unmanaged
    {
        fixed (T* pa = oA, pb = oB, po = o)
        fixed (float* la = lseA, lb = lseB, lo = lse)
            Check(EmulatorMethods.kne_attention_merge(Dtype<T>(), pa, la, pb, lb, po, lo, (ulong)lseA.Length, (ulong)valueDim, grid, block));
    }

    internal static void LowRankMQ(float[] m, float[] q, float[] p, int rows, int cols, int rank, uint grid, uint block)
    {
        fixed (float* pm = m, pq = q, pp = p)
            Check(EmulatorMethods.kne_lowrank_m_q(pm, pq, pp, (ulong)rows, (ulong)cols, (ulong)cols, (uint)rank, grid, block));
    }

    internal static void LowRankMTP(float[] m, float[] p, float[] q, int rows, int cols, int rank, uint grid, uint block)
    {
        fixed (float* pm = m, pq = q, pp = p)
            Check(EmulatorMethods.kne_lowrank_mt_p(pm, pp, pq, (ulong)rows, (ulong)cols, (ulong)cols, (uint)rank, grid, block));
    }

    internal static void Orthonormalize(float[] p, int rows, int rank, float eps)
    {
        fixed (float* pp = p)
            Check(EmulatorMethods.kne_orthonormalize_columns(pp, (ulong)rows, (uint)rank, eps));
    }
}
