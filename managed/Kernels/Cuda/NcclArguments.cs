using Kernels.Cuda.Interop;
using Kernels.Execution;
using Kernels.Interop;

namespace Kernels.Cuda;

/// <summary>
/// The checks of <see cref="NcclCommunicator"/>'s arguments that need neither NCCL nor a device (element type, op,
/// counts, ranks), made first so that bad input is an <see cref="ArgumentException"/> before anything native runs.
/// </summary>
internal static class NcclArguments
{
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    internal static ncclDataType_t DataType<T>() where T : unmanaged => ElementTypes.Of<T>() switch
    {
        kn_dtype.KN_F32 => ncclDataType_t.ncclFloat32,
        kn_dtype.KN_F16 => ncclDataType_t.ncclFloat16,
        _ => ncclDataType_t.ncclBfloat16,
    };

    internal static ncclRedOp_t Op(ReduceOp op, string parameterName) => op switch
    {
        ReduceOp.Sum => ncclRedOp_t.ncclSum,
        ReduceOp.Avg => ncclRedOp_t.ncclAvg,
        ReduceOp.Max => ncclRedOp_t.ncclMax,
        ReduceOp.Min => ncclRedOp_t.ncclMin,
        _ => throw new ArgumentException($"{op} is not a ReduceOp (Sum, Avg, Max or Min)", parameterName),
    };

    /// <summary>All-reduce and broadcast: both buffers hold the same number of elements.</summary>
    internal static void SameLength(int sendLength, int receiveLength, string receiveName)
    {
        if (receiveLength != sendLength)
            throw new ArgumentException($"has {receiveLength} elements but the send buffer has {sendLength}; they must be equal", receiveName);
    }

    /// <summary>Reduce-scatter: the send buffer holds <paramref name="size"/> shards of the receive buffer's length.</summary>
    internal static void ShardedLength(int wholeLength, int shardLength, int size, string wholeName)
    {
        if ((long)shardLength * size != wholeLength)
            throw new ArgumentException(
                $"has {wholeLength} elements; it must hold exactly size ({size}) x {shardLength} (the shard buffer's length) elements", wholeName);
    }

    /// <summary>A peer or root rank in [0, size); a peer may not be the caller itself.</summary>
    internal static void Rank(int value, int size, string parameterName, int? self = null)
    {
        if (value < 0 || value >= size)
            throw new ArgumentOutOfRangeException(parameterName, value, $"must be a rank in [0, {size})");
        if (value == self)
            throw new ArgumentException($"is this rank ({value}); send to and receive from other ranks", parameterName);
    }
}
