using Kernels.Attention;
using Kernels.Tests.Cuda.Emulation;

namespace Kernels.Tests.Cuda;

// Calls into the emulator for cuda/flash_attention_backward.cu.
internal static unsafe partial class Emulator
{
    /// <summary>
    /// kn::flash_attention_backward_dkdv then kn::flash_attention_backward_dq with the launch shapes of
    /// <see cref="Kernels.Cuda.CudaFlashAttention"/>; the options are resolved as the operator resolves them.
    /// <paramref name="strides"/>: {batch, seq, head} of q, k, v and o (dq, dk, dv and dO share them).
    /// </summary>
    internal static void FlashAttentionBackward<T>(T* q, T* k, T* v, T* o, float* lse, T* dO, T* dq, T* dk, T* dv,
        AttentionShape shape, AttentionOptions options, ReadOnlySpan<long> strides, bool vectorLoads) where T : unmanaged
    {
        fixed (long* s = strides)
            Check(EmulatorMethods.kne_flash_attention_backward(Dtype<T>(), q, k, v, o, lse, dO, dq, dk, dv, (uint)shape.Batch,
                (uint)shape.SeqQ, (uint)shape.SeqK, (uint)shape.Heads, (uint)shape.KvHeads, (uint)shape.HeadDim, s,
                options.ScaleFor(shape.HeadDim), options.Softcap, options.Causal ? 1 : 0, options.WindowLeft, options.WindowRight,
                vectorLoads ? 1 : 0));
    }

    /// <summary>The backward kernels on dense tensors (element-wise loads: managed arrays promise no 16-byte alignment).</summary>
    internal static void FlashAttentionBackward<T>(T[] q, T[] k, T[] v, T[] o, float[] lse, T[] dO, T[] dq, T[] dk, T[] dv,
        AttentionShape shape, AttentionOptions options) where T : unmanaged
    {
        (AttentionStrides qs, AttentionStrides ks, AttentionStrides vs, AttentionStrides os) = AttentionCall.ContiguousStrides(shape);
        fixed (T* pq = q, pk = k, pv = v, po = o, pdo = dO, pdq = dq, pdk = dk, pdv = dv)
        fixed (float* pl = lse)
            FlashAttentionBackward(pq, pk, pv, po, pl, pdo, pdq, pdk, pdv, shape, options, Flatten(qs, ks, vs, os), vectorLoads: false);
    }
}
