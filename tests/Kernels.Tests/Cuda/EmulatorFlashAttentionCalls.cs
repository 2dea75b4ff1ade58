using Kernels.Attention;
using Kernels.Tests.Cuda.Emulation;

namespace Kernels.Tests.Cuda;

// Calls into the emulator for cuda/flash_attention.cu.
internal static unsafe partial class Emulator
{
    /// <summary>
    /// kn::flash_attention_forward with the launch shape of <see cref="Kernels.Cuda.CudaFlashAttention"/>; the options are
    /// resolved as the operator resolves them. <paramref name="strides"/>: {batch, seq, head} of q, k, v and o.
    /// </summary>
    internal static void FlashAttentionForward<T>(T* q, T* k, T* v, T* o, float* lse, AttentionShape shape, AttentionOptions options,
        ReadOnlySpan<long> strides, bool vectorLoads) where T : unmanaged
    {
        fixed (long* s = strides)
            Check(EmulatorMethods.kne_flash_attention_forward(Dtype<T>(), q, k, v, o, lse, (uint)shape.Batch, (uint)shape.SeqQ,
                (uint)shape.SeqK, (uint)shape.Heads, (uint)shape.KvHeads, (uint)shape.HeadDim, s, options.ScaleFor(shape.HeadDim),
                options.Softcap, options.Causal ? 1 : 0, options.WindowLeft, options.WindowRight, vectorLoads ? 1 : 0));
    }

    /// <summary>The forward kernel on dense tensors (element-wise loads: managed arrays promise no 16-byte alignment).</summary>
    internal static void FlashAttentionForward<T>(T[] q, T[] k, T[] v, T[] o, float[] lse, AttentionShape shape, AttentionOptions options)
        where T : unmanaged
    {
        (AttentionStrides qs, AttentionStrides ks, AttentionStrides vs, AttentionStrides os) = AttentionCall.ContiguousStrides(shape);
        long[] strides = Flatten(qs, ks, vs, os);
        fixed (T* pq = q, pk = k, pv = v, po = o)
        fixed (float* pl = lse)
            FlashAttentionForward(pq, pk, pv, po, pl, shape, options, strides, vectorLoads: false);
    }

    /// <summary>The native {batch, seq, head} x (q, k, v, o) stride array.</summary>
    internal static long[] Flatten(AttentionStrides q, AttentionStrides k, AttentionStrides v, AttentionStrides o) =>
        [q.Batch, q.Seq, q.Head, k.Batch, k.Seq, k.Head, v.Batch, v.Seq, v.Head, o.Batch, o.Seq, o.Head];
}
