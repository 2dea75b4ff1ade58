using System.Runtime.InteropServices;

namespace Kernels.Collectives.Protocol;

/// <summary>
/// What a rank announces for collective number <see cref="Sequence"/>, written to its header before it arrives.
/// Every rank compares all descriptors (see <see cref="DescriptorCheck"/>) before touching peer data. Two cache lines.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
internal struct CollectiveDescriptor
{
    public ulong Sequence;
    /// <summary>A <see cref="CollectiveKind"/>.</summary>
    public int Kind;
    /// <summary>Stable hash of the element type's full name (see <see cref="ElementTag{T}"/>).</summary>
    public int ElementTag;
    public int ElementSize;
    /// <summary>A <see cref="ReduceOp"/>, or -1 for collectives that do not reduce.</summary>
    public int Op;
    /// <summary>A <see cref="CollectiveAlgorithm"/> for all-reduce; 0 otherwise.</summary>
    public int Algorithm;
    /// <summary>Broadcast root; -1 otherwise.</summary>
    public int Root;
    /// <summary>This rank's element count (for AllGatherV its own contribution).</summary>
    public long Count;
    /// <summary>AllGatherV: the sum of all counts; otherwise equal to <see cref="Count"/>.</summary>
    public long Total;
    /// <summary>Heap offset of the rank's <see cref="CommunicatorBuffer{T}"/>, or -1 when the call is on user spans.</summary>
    public long BufferOffset;
    /// <summary>AllGatherV: a hash of the per-rank counts array, so ranks holding different arrays are caught; AllReduceAddRmsNorm: the row width.</summary>
    public long Shape;
    /// <summary>AllReduceAddRmsNorm: the bits of eps; 0 otherwise.</summary>
    public long Parameter;

    /// <summary>
    /// A 64-bit digest of every field <see cref="DescriptorCheck"/> compares (sequence included, so a stale digest never
    /// matches): equal digests stand for agreeing descriptors in the inline arrival (<see cref="CollectiveCall.ArriveInline"/>).
    /// </summary>
    internal readonly ulong Digest()
    {
        ulong h = Mix(0x9E37_79B9_7F4A_7C15UL, Sequence);
        h = Mix(h, (ulong)(uint)Kind | (ulong)(uint)ElementTag << 32);
        h = Mix(h, (ulong)(uint)ElementSize | (ulong)(uint)Op << 32);
        h = Mix(h, (ulong)(uint)Algorithm | (ulong)(uint)Root << 32);
        h = Mix(h, (ulong)Count);
        h = Mix(h, (ulong)Total);
        h = Mix(h, (ulong)Shape);
        h = Mix(h, (ulong)Parameter);
        return Mix(h, BufferOffset >= 0 ? 1UL : 0UL);
    }

    /// <summary>One step of a multiply-xorshift hash (the mixer of splitmix64).</summary>
    private static ulong Mix(ulong h, ulong value)
    {
        ulong z = (h ^ value) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}
