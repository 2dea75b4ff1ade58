namespace Kernels.Attention;

/// <summary>
/// Element strides of a <c>[batch, seq, heads, dim]</c> tensor whose last dimension is contiguous, for views into
/// larger buffers (e.g. q, k and v interleaved in one projection output, or a KV cache longer than the call's SeqK).
/// </summary>
/// <param name="Batch">Elements from one batch entry to the next.</param>
/// <param name="Seq">Elements from one sequence position to the next.</param>
/// <param name="Head">Elements from one head to the next.</param>
public readonly record struct AttentionStrides(long Batch, long Seq, long Head)
{
    /// <summary>The strides of a dense <c>[batch, seq, heads, dim]</c> tensor.</summary>
    public static AttentionStrides Contiguous(int seq, int heads, int dim) => new((long)seq * heads * dim, (long)heads * dim, dim);

    /// <summary>
    /// Checks that a (batch, seq, heads, dim) view with these strides fits in <paramref name="length"/> elements and,
    /// for an output, that no two of its elements share memory.
    /// </summary>
    /// <exception cref="ArgumentException">(parameter <paramref name="name"/>) a stride is negative, the view reaches past the
    /// span, or an output view overlaps itself.</exception>
    internal void Validate(int length, int batch, int seq, int heads, int dim, string name, bool isOutput)
    {
        if (Batch < 0 || Seq < 0 || Head < 0)
        {
            throw new ArgumentException($"{name} strides {this} must not be negative.", name);
        }
        if (batch == 0 || seq == 0 || heads == 0)
        {
            return;
        }
        // Checked: strides near long.MaxValue must fail here, not wrap.
        long last = checked((batch - 1) * Batch + (seq - 1) * Seq + (heads - 1) * Head + dim);
        if (last > length)
        {
            throw new ArgumentException($"{name} has {length} elements but its strides {this} reach element {last}.", name);
        }
        if (isOutput && !IsInjective(batch, seq, heads, dim))
        {
            throw new ArgumentException($"{name} strides {this} make rows overlap: an output needs every element distinct.", name);
        }
    }

    /// <summary>Sorted by stride, each dimension must step past everything the smaller ones span.</summary>
    private bool IsInjective(int batch, int seq, int heads, int dim)
    {
        (long Stride, long Count)[] dims = new[] { (Head, (long)heads), (Seq, (long)seq), (Batch, (long)batch) }
            .Where(d => d.Item2 > 1).OrderBy(d => d.Item1).ToArray();
        long spanned = dim;
        foreach ((long stride, long count) in dims)
        {
            if (stride < spanned)
            {
                return false;
            }
            spanned = checked(stride * (count - 1) + spanned);
        }
        return true;
    }
}
