namespace Kernels.Attention;

/// <summary>
/// Pinned q-, k-, v- and o-shaped tensors (and optionally a log-sum-exp) of a packed variable-length call, addressed by
/// sequence: each method gives the first row of a sequence (q, o and lse rows from the query offsets, k and v rows
/// from the key offsets). Kept as addresses so the parallel work items can capture it.
/// </summary>
internal readonly unsafe struct PackedRows<T>(PackedSequences packed, T* q, T* k, T* v, T* o, float* lse) where T : unmanaged
{
    private readonly nint _q = (nint)q, _k = (nint)k, _v = (nint)v, _o = (nint)o, _lse = (nint)lse;

    internal T* Q(int sequence) => (T*)_q + (long)packed.QueryStart(sequence) * packed.Heads.Heads * packed.Heads.HeadDim;

    internal T* K(int sequence) => (T*)_k + (long)packed.KeyStart(sequence) * packed.Heads.KvHeads * packed.Heads.HeadDim;

    internal T* V(int sequence) => (T*)_v + (long)packed.KeyStart(sequence) * packed.Heads.KvHeads * packed.Heads.ValueHeadDim;

    internal T* O(int sequence) => (T*)_o + (long)packed.QueryStart(sequence) * packed.Heads.Heads * packed.Heads.ValueHeadDim;

    internal float* Lse(int sequence) => (float*)_lse + (long)packed.QueryStart(sequence) * packed.Heads.Heads;
}
