using Kernels.Interop;

namespace Kernels.Attention;

/// <summary>
/// The sequences of a packed variable-length call: sequence i holds queries [cuSeqlensQ[i], cuSeqlensQ[i + 1]) and keys
/// [cuSeqlensK[i], cuSeqlensK[i + 1]) of the packed tensors, and is computed as a batch-1 call on offset views. The work
/// items of all sequences (query or key tiles of one head, as kernels.h numbers them within a call) are numbered one
/// after another, so one parallel loop spreads sequences x heads x tiles over the threads and short sequences do not
/// run one after another. Created only from validated arguments.
/// </summary>
internal sealed unsafe class PackedSequences
{
    /// <summary>Runs items [<paramref name="begin"/>, begin + <paramref name="count"/>) of <paramref name="sequence"/>'s batch-1 call.</summary>
    internal delegate kn_status SequenceKernel(int sequence, AttentionCall call, long begin, long count, void* workspace, nuint bytes);

    private readonly int[] _queryStarts;
    private readonly int[] _keyStarts;
    private readonly AttentionCall[] _calls;
    private readonly long[] _queryItemStarts;
    private readonly long[] _keyItemStarts;

    private PackedSequences(int[] queryStarts, int[] keyStarts, AttentionHeads heads, AttentionOptions options)
    {
        _queryStarts = queryStarts;
        _keyStarts = keyStarts;
        Heads = heads;
        int count = queryStarts.Length - 1;
        _calls = new AttentionCall[count];
        _queryItemStarts = new long[count + 1];
        _keyItemStarts = new long[count + 1];
        for (int i = 0; i < count; i++)
        {
            AttentionShape shape = heads.ShapeOf(queryStarts[i + 1] - queryStarts[i], keyStarts[i + 1] - keyStarts[i]);
            (AttentionStrides q, AttentionStrides k, AttentionStrides v, AttentionStrides o) = AttentionCall.ContiguousStrides(shape);
            _calls[i] = new AttentionCall(shape, options, q, k, v, o);
            _queryItemStarts[i + 1] = _queryItemStarts[i] + _calls[i].QueryItems;
            _keyItemStarts[i + 1] = _keyItemStarts[i] + _calls[i].KeyItems;
            ForwardFlops += _calls[i].QueryItems * _calls[i].FlopsPerQueryItem;
        }
    }

    internal AttentionHeads Heads { get; }

    /// <summary>Packed query rows (the last query offset).</summary>
    internal int TotalQ => _queryStarts[^1];

    /// <summary>Packed key rows (the last key offset).</summary>
    internal int TotalK => _keyStarts[^1];

    /// <summary>Approximate forward FLOPs of the whole call, for the threading threshold.</summary>
    internal double ForwardFlops { get; }

    /// <summary>First packed query row of <paramref name="sequence"/>.</summary>
    internal int QueryStart(int sequence) => _queryStarts[sequence];

    /// <summary>First packed key row of <paramref name="sequence"/>.</summary>
    internal int KeyStart(int sequence) => _keyStarts[sequence];

    /// <summary>
    /// Validates the heads, the options, the offsets and every tensor length of a packed call; returns the sequences.
    /// Token totals come from q's and k's lengths, which must be whole rows.
    /// </summary>
    /// <exception cref="ArgumentException">See <see cref="FlashAttention.ForwardVarlen{T}"/>.</exception>
    internal static PackedSequences Create(ReadOnlySpan<int> cuSeqlensQ, ReadOnlySpan<int> cuSeqlensK, AttentionHeads heads,
        AttentionOptions options, int q, int k, int v, int o, int lse)
    {
        heads.ShapeOf(0, 0).Validate(nameof(heads));
        options.Validate(nameof(options));
        int totalQ = WholeRows(q, (long)heads.Heads * heads.HeadDim, nameof(q), "Heads * HeadDim");
        int totalK = WholeRows(k, (long)heads.KvHeads * heads.HeadDim, nameof(k), "KvHeads * HeadDim");
        CheckLength(v, (long)totalK * heads.KvHeads * heads.ValueHeadDim, nameof(v));
        CheckLength(o, (long)totalQ * heads.Heads * heads.ValueHeadDim, nameof(o));
        CheckLength(lse, (long)totalQ * heads.Heads, nameof(lse));
        if (cuSeqlensK.Length != cuSeqlensQ.Length)
        {
            throw new ArgumentException(
                $"cuSeqlensK has {cuSeqlensK.Length} entries but cuSeqlensQ has {cuSeqlensQ.Length}: both hold sequences + 1 offsets.",
                nameof(cuSeqlensK));
        }
        CheckOffsets(cuSeqlensQ, totalQ, nameof(cuSeqlensQ), "q");
        CheckOffsets(cuSeqlensK, totalK, nameof(cuSeqlensK), "k");
        return new PackedSequences(cuSeqlensQ.ToArray(), cuSeqlensK.ToArray(), heads, options);
    }

    /// <summary>Runs every query-tile item (forward, dq pass) of every sequence.</summary>
    internal void RunQueryItems(double flopsFactor, SequenceKernel kernel) => Run(_queryItemStarts, flopsFactor, kernel);

    /// <summary>Runs every key-tile item (dk/dv pass) of every sequence.</summary>
    internal void RunKeyItems(double flopsFactor, SequenceKernel kernel) => Run(_keyItemStarts, flopsFactor, kernel);

    private void Run(long[] itemStarts, double flopsFactor, SequenceKernel kernel)
    {
        long items = itemStarts[^1];
        if (items == 0)
        {
            return;
        }
        AttentionWork.Run(items, flopsFactor * ForwardFlops / items, _calls[0].WorkspaceBytes, (begin, count, workspace, bytes) =>
        {
            // The range may span sequences (the single-threaded path takes all items at once): cut it at their ends.
            int sequence = SequenceOf(itemStarts, begin);
            for (long end = begin + count; begin < end; sequence++)
            {
                long local = begin - itemStarts[sequence], take = Math.Min(end, itemStarts[sequence + 1]) - begin;
                if (take > 0)
                {
                    kn_status status = kernel(sequence, _calls[sequence], local, take, workspace, bytes);
                    if (status != kn_status.KN_OK)
                    {
                        return status;
                    }
                }
                begin += take;
            }
            return kn_status.KN_OK;
        });
    }

    /// <summary>The sequence whose items contain <paramref name="item"/> (empty sequences own no item).</summary>
    private static int SequenceOf(long[] itemStarts, long item)
    {
        int index = Array.BinarySearch(itemStarts, item);
        if (index < 0)
        {
            return ~index - 1;
        }
        // Several sequences may start at this item (empty ones before it): take the last, the one that owns it.
        while (index + 1 < itemStarts.Length && itemStarts[index + 1] == item)
        {
            index++;
        }
        return index;
    }

    private static int WholeRows(int length, long rowElements, string name, string rowName)
    {
        if (length % rowElements != 0)
        {
            throw new ArgumentException($"{name} has {length} elements, not a whole number of [{rowName} = {rowElements}] rows.", name);
        }
        return (int)(length / rowElements);
    }

    private static void CheckOffsets(ReadOnlySpan<int> offsets, int total, string name, string tensor)
    {
        if (offsets.Length == 0)
        {
            throw new ArgumentException($"{name} is empty: it needs sequences + 1 offsets, starting at 0.", name);
        }
        if (offsets[0] != 0)
        {
            throw new ArgumentException($"{name}[0] = {offsets[0]} must be 0.", name);
        }
        for (int i = 1; i < offsets.Length; i++)
        {
            if (offsets[i] < offsets[i - 1])
            {
                throw new ArgumentException(
                    $"{name}[{i}] = {offsets[i]} is less than {name}[{i - 1}] = {offsets[i - 1]}: offsets must not decrease (or be negative).", name);
            }
        }
        if (offsets[^1] != total)
        {
            throw new ArgumentException(
                $"{name}[{offsets.Length - 1}] = {offsets[^1]} must equal the {total} tokens that {tensor}'s length holds.", name);
        }
    }

    private static void CheckLength(int actual, long expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"{name} has {actual} elements but the offsets and heads need {expected}.", name);
        }
    }
}
