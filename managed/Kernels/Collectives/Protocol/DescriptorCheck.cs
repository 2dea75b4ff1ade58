namespace Kernels.Collectives.Protocol;

/// <summary>
/// Compares the descriptors all ranks announced for one collective. Every rank runs the same comparison over the
/// same descriptors (each against the lowest rank's), so all throw the same <see cref="CollectiveMismatchException"/>.
/// Peer buffer offsets are also bounds-checked here, before any kernel reads through them.
/// </summary>
internal static class DescriptorCheck
{
    internal static void Verify(CollectiveDescriptor[] all, CollectiveCall call)
    {
        // Named after rank 0's call, not this rank's, so that every rank throws the very same message. The name is
        // formatted only on a mismatch: every call pays for an 8-byte all-reduce, which must stay well under a microsecond.
        ref CollectiveDescriptor first = ref all[0];
        var operation = new OperationName((CollectiveKind)first.Kind, call.Sequence);
        if (!AllAgree(all))
        {
            ReportDisagreement(all, operation);
        }
        CheckBufferBounds(all, call, operation);
    }

    /// <summary>The agreement check alone, for descriptors gathered over MPI between hosts (no peer heap offsets to bound).</summary>
    internal static void VerifyAgreement(CollectiveDescriptor[] all, ulong sequence)
    {
        if (!AllAgree(all))
        {
            ReportDisagreement(all, new OperationName((CollectiveKind)all[0].Kind, sequence));
        }
    }

    /// <summary>The common case, plain comparisons without the per-field delegates and formatting of <see cref="ReportDisagreement"/>.</summary>
    private static bool AllAgree(CollectiveDescriptor[] all)
    {
        ref CollectiveDescriptor first = ref all[0];
        bool countsMayDiffer = (CollectiveKind)first.Kind is CollectiveKind.AllGatherV or CollectiveKind.AllToAllV;
        for (int rank = 1; rank < all.Length; rank++)
        {
            ref CollectiveDescriptor d = ref all[rank];
            bool agrees = d.Sequence == first.Sequence && d.Kind == first.Kind && d.ElementTag == first.ElementTag &&
                d.ElementSize == first.ElementSize && d.Op == first.Op && d.Algorithm == first.Algorithm && d.Root == first.Root &&
                (countsMayDiffer || d.Count == first.Count) && d.Total == first.Total && d.Shape == first.Shape &&
                d.Parameter == first.Parameter && d.BufferOffset >= 0 == first.BufferOffset >= 0;
            if (!agrees)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Throws the mismatch of the first field (in a fixed order) on which some rank differs from rank 0.</summary>
    private static void ReportDisagreement(CollectiveDescriptor[] all, OperationName operation)
    {
        ref CollectiveDescriptor first = ref all[0];
        Field("Sequence", all, operation, d => (long)d.Sequence, v => v.ToString());
        Field("Collective", all, operation, d => d.Kind, v => ((CollectiveKind)v).ToString());
        Field("ElementType", all, operation, d => d.ElementTag, v => $"tag 0x{v:X8}");
        Field("ElementSize", all, operation, d => d.ElementSize, v => $"{v} bytes");
        Field("Op", all, operation, d => d.Op, v => v < 0 ? "none" : ((ReduceOp)v).ToString());
        Field("Algorithm", all, operation, d => d.Algorithm, v => ((CollectiveAlgorithm)v).ToString());
        Field("Root", all, operation, d => d.Root, v => v.ToString());
        // Per-rank counts legitimately differ in the V collectives; the counts table's hash (Shape) is compared instead.
        if ((CollectiveKind)first.Kind is not (CollectiveKind.AllGatherV or CollectiveKind.AllToAllV))
        {
            Field("Count", all, operation, d => d.Count, v => v.ToString());
        }
        Field("Total", all, operation, d => d.Total, v => v.ToString());
        Field("Shape", all, operation, d => d.Shape, v => $"0x{v:X}");
        Field("Parameter", all, operation, d => d.Parameter, v => $"0x{v:X}");
        Field("BufferKind", all, operation, d => d.BufferOffset >= 0 ? 1 : 0, v => v == 1 ? "CommunicatorBuffer" : "span");
    }

    /// <summary>How messages name the collective: "AllReduce #12".</summary>
    private readonly record struct OperationName(CollectiveKind Kind, ulong Sequence)
    {
        public override string ToString() => $"{Kind} #{Sequence}";
    }

    private static void Field(string name, CollectiveDescriptor[] all, OperationName operation,
        Func<CollectiveDescriptor, long> value, Func<long, string> format)
    {
        long reference = value(all[0]);
        List<int>? differing = null;
        for (int rank = 1; rank < all.Length; rank++)
        {
            if (value(all[rank]) != reference)
            {
                (differing ??= []).Add(rank);
            }
        }
        if (differing is null)
        {
            return;
        }
        string details = $"rank 0 has {format(reference)}, " +
            string.Join(", ", differing.Select(rank => $"rank {rank} has {format(value(all[rank]))}"));
        throw new CollectiveMismatchException(operation.ToString(), name, differing, details);
    }

    /// <summary>A peer's buffer must lie inside the heap: a corrupt or hostile header must not steer a copy out of bounds.</summary>
    private static void CheckBufferBounds(CollectiveDescriptor[] all, CollectiveCall call, OperationName operation)
    {
        long heapBytes = call.Transport.Layout.HeapBytes;
        for (int rank = 0; rank < all.Length; rank++)
        {
            ref CollectiveDescriptor d = ref all[rank];
            if (d.BufferOffset < 0)
            {
                continue;
            }
            long bytes = d.Total * d.ElementSize;
            if (d.Total < 0 || d.ElementSize <= 0 || d.BufferOffset % Transport.RegionLayout.PageBytes != 0 ||
                d.BufferOffset > heapBytes || bytes > heapBytes - d.BufferOffset)
            {
                throw new CollectiveMismatchException(operation.ToString(), "BufferBounds", [rank],
                    $"rank {rank} announced a buffer at heap offset {d.BufferOffset} of {bytes} bytes, outside its {heapBytes}-byte heap");
            }
        }
    }
}
