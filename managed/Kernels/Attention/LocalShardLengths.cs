namespace Kernels.Attention;

/// <summary>
/// Length checks for the per-rank tensors of sequence-parallel attention (<see cref="RingAttention"/>,
/// <see cref="UlyssesAttention"/>). They run before anything is sent, so a wrong length fails on this rank alone.
/// </summary>
internal static class LocalShardLengths
{
    /// <summary>Checks the forward call's q, k, v, o and lse against <paramref name="localShape"/>.</summary>
    internal static void CheckForward(AttentionShape localShape, int q, int k, int v, int o, int lse)
    {
        Check(q, localShape.QueryLength, nameof(q));
        Check(k, localShape.KeyLength, nameof(k));
        Check(v, localShape.ValueLength, nameof(v));
        Check(o, localShape.OutputLength, nameof(o));
        Check(lse, localShape.RowCount, nameof(lse));
    }

    /// <summary>Checks the forward tensors, then dO, dq, dk and dv (each has the length of the tensor it is the gradient of).</summary>
    internal static void CheckBackward(AttentionShape localShape, int q, int k, int v, int o, int lse, int dO, int dq, int dk, int dv)
    {
        CheckForward(localShape, q, k, v, o, lse);
        Check(dO, localShape.OutputLength, nameof(dO));
        Check(dq, localShape.QueryLength, nameof(dq));
        Check(dk, localShape.KeyLength, nameof(dk));
        Check(dv, localShape.ValueLength, nameof(dv));
    }

    private static void Check(int actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} elements but the local shape needs {expected}.", name);
        }
    }
}
