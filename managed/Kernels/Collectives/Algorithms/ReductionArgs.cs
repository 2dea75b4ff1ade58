using Kernels.Interop;

namespace Kernels.Collectives.Algorithms;

/// <summary>The validated arguments of a reducing collective, as raw pointers (spans are pinned by the caller for the whole call).</summary>
internal readonly unsafe struct ReductionArgs(
    kn_dtype dType, int elementSize, kn_reduce_op nativeOp, float scale, long count, byte* input, byte* output)
{
    internal kn_dtype DType { get; } = dType;
    internal int ElementSize { get; } = elementSize;
    internal kn_reduce_op NativeOp { get; } = nativeOp;
    /// <summary>Applied once, to the final fp32 value, before rounding (1/n for Avg).</summary>
    internal float Scale { get; } = scale;
    internal long Count { get; } = count;
    internal byte* Input { get; } = input;
    internal byte* Output { get; } = output;

    /// <summary>The native op and final scale for <paramref name="op"/> over <paramref name="size"/> contributions: Avg is Sum times 1/size.</summary>
    internal static (kn_reduce_op Op, float Scale) Lower(ReduceOp op, int size) => op switch
    {
        ReduceOp.Sum => (kn_reduce_op.KN_OP_SUM, 1f),
        ReduceOp.Avg => (kn_reduce_op.KN_OP_SUM, 1f / size),
        ReduceOp.Max => (kn_reduce_op.KN_OP_MAX, 1f),
        ReduceOp.Min => (kn_reduce_op.KN_OP_MIN, 1f),
        _ => throw new ArgumentException($"Undefined ReduceOp value {(int)op}.", nameof(op)),
    };
}
