using System.Buffers;
using Kernels.Collectives.Algorithms;
using Kernels.Collectives.Protocol;
using Kernels.Execution;

namespace Kernels.Collectives;

public sealed partial class Communicator
{
    /// <summary>
    /// All-reduce (Sum) of <paramref name="x"/> fused with the residual add and RMSNorm that follow it:
    /// <c>s = sum over ranks of x</c> (rounded to <typeparamref name="T"/>), <c>residual = s + residual</c> (rounded, written
    /// back), <c>y = RMSNorm(residual) * weight</c> per row, as <see cref="RmsNorm.AddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, int, float)"/>.
    /// </summary>
    /// <remarks>
    /// Two-shot by whole rows: each rank reduces and normalises only its row shard (<see cref="ShardOf"/> over rows), then
    /// all ranks gather the normalised rows and the updated residual rows from their owners. Bitwise identical to
    /// <see cref="AllReduce{T}(Span{T}, ReduceOp, CancellationToken)"/> with one-shot or two-shot followed by AddRmsNorm
    /// (sum order x0, x1, ..., x(n-1) in fp32). <paramref name="residual"/> must hold the same values on every rank (as it
    /// does in tensor parallelism); every rank ends with the owner ranks' updated rows. NaN and infinity behave as in
    /// <see cref="RmsNorm"/>: a NaN anywhere in a row makes that output row NaN.
    /// </remarks>
    /// <param name="x">This rank's partial sub-layer output, (rows, cols) row-major; read only.</param>
    /// <param name="residual">The residual stream, same length; updated in place. May not overlap the other arguments.</param>
    /// <param name="weight">Per-column gain, <paramref name="cols"/> elements.</param>
    /// <param name="y">Normalised output, same length as <paramref name="x"/>; may be exactly <paramref name="x"/>.</param>
    /// <param name="cols">Row width (hidden size), at least 1; a staging slot must hold <c>(Size + 1) * cols</c> elements.</param>
    /// <param name="eps">Added to the mean square; finite and positive.</param>
    /// <param name="cancellationToken">Cancels waiting; once data has been exchanged this faults the communicator.</param>
    /// <exception cref="ArgumentException">Lengths disagree with the shape, spans overlap other than as allowed, <paramref name="eps"/> is
    /// not finite and positive, or a row is too wide for the staging slot.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    /// <exception cref="CollectiveMismatchException">Ranks passed different shapes, eps or element types.</exception>
    /// <exception cref="CollectiveTimeoutException">A peer did not arrive within <see cref="Timeout"/>.</exception>
    /// <exception cref="PeerLostException">A peer disposed its communicator or failed.</exception>
    /// <exception cref="CommunicatorFaultedException">An earlier collective failed.</exception>
    /// <exception cref="ObjectDisposedException">The communicator is disposed.</exception>
    public unsafe void AllReduceAddRmsNorm<T>(ReadOnlySpan<T> x, Span<T> residual, ReadOnlySpan<T> weight, Span<T> y, int cols, float eps,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        (Interop.kn_dtype dtype, long rows, CollectiveDescriptor descriptor) = CheckFused(x, residual, weight, y, cols, eps);
        fixed (T* px = x)
        fixed (T* pr = residual)
        fixed (T* pw = weight)
        fixed (T* py = y)
        {
            byte* bx = (byte*)px, br = (byte*)pr, bw = (byte*)pw, by = (byte*)py;
            Execute("AllReduceAddRmsNorm", true, cancellationToken,
                call => RunFused<T>(call, dtype, bx, br, bw, by, rows, cols, eps, descriptor));
        }
    }

    /// <summary>Queues a fused all-reduce + add + RMSNorm; see <see cref="AllReduceAddRmsNorm{T}(ReadOnlySpan{T}, Span{T}, ReadOnlySpan{T}, Span{T}, int, float, CancellationToken)"/>. Arguments are checked before this returns.</summary>
    public unsafe ValueTask AllReduceAddRmsNormAsync<T>(ReadOnlyMemory<T> x, Memory<T> residual, ReadOnlyMemory<T> weight, Memory<T> y, int cols, float eps,
        CancellationToken cancellationToken = default) where T : unmanaged
    {
        (Interop.kn_dtype dtype, long rows, CollectiveDescriptor descriptor) = CheckFused(x.Span, residual.Span, weight.Span, y.Span, cols, eps);
        return Enqueue("AllReduceAddRmsNorm", true, cancellationToken, call =>
        {
            using MemoryHandle px = x.Pin(), pr = residual.Pin(), pw = weight.Pin(), py = y.Pin();
            RunFused<T>(call, dtype, (byte*)px.Pointer, (byte*)pr.Pointer, (byte*)pw.Pointer, (byte*)py.Pointer,
                rows, cols, eps, descriptor);
        });
    }

    private unsafe (Interop.kn_dtype DType, long Rows, CollectiveDescriptor Descriptor) CheckFused<T>(
        ReadOnlySpan<T> x, Span<T> residual, ReadOnlySpan<T> weight, Span<T> y, int cols, float eps) where T : unmanaged
    {
        Interop.kn_dtype dtype = ElementTypes.Of<T>();
        long rows = CheckFusedShape(x.Length, residual.Length, weight.Length, y.Length, cols, eps, sizeof(T));
        SpanRules.NoOverlap(x, (ReadOnlySpan<T>)residual, nameof(x), nameof(residual), exactAliasAllowed: false);
        SpanRules.NoOverlap(x, (ReadOnlySpan<T>)y, nameof(x), nameof(y), exactAliasAllowed: true);
        SpanRules.NoOverlap((ReadOnlySpan<T>)residual, (ReadOnlySpan<T>)y, nameof(residual), nameof(y), exactAliasAllowed: false);
        SpanRules.NoOverlap(weight, (ReadOnlySpan<T>)residual, nameof(weight), nameof(residual), exactAliasAllowed: false);
        SpanRules.NoOverlap(weight, (ReadOnlySpan<T>)y, nameof(weight), nameof(y), exactAliasAllowed: false);
        CollectiveDescriptor descriptor = Describe<T>(CollectiveKind.AllReduceAddRmsNorm, x.Length, op: (int)ReduceOp.Sum,
            shape: cols, parameter: BitConverter.SingleToInt32Bits(eps));
        return (dtype, rows, descriptor);
    }

    private long CheckFusedShape(int length, int residualLength, int weightLength, int yLength, int cols, float eps, int elementSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        if (length % cols != 0)
        {
            throw new ArgumentException($"x has {length} elements, which is not a whole number of rows of {cols} columns.", "x");
        }
        if (residualLength != length)
        {
            throw new ArgumentException($"residual has {residualLength} elements but x has {length}; they must be equal.", "residual");
        }
        if (yLength != length)
        {
            throw new ArgumentException($"y has {yLength} elements but x has {length}; they must be equal.", "y");
        }
        if (weightLength != cols)
        {
            throw new ArgumentException($"weight has {weightLength} elements but cols = {cols}; they must be equal.", "weight");
        }
        SpanRules.PositiveFinite(eps, nameof(eps));
        if (FusedAddRmsNorm.PieceRows(_endpoint.SlotElements(elementSize), cols, Size) == 0)
        {
            throw new ArgumentException(
                $"Rows of {cols} elements are too wide for the {_endpoint.Transport.Layout.SlotBytes}-byte staging slot, which must hold {Size + 1} rows; raise CommunicatorOptions.StagingSlotBytes.", nameof(cols));
        }
        return length / cols;
    }
}
