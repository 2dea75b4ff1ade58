using Kernels.Attention;
using Kernels.Perf.Kernels;

namespace Kernels.Perf.Attention;

/// <summary>
/// One timed attention shape: batch 1, self-attention (seqQ = seqK), as many heads as keep every case near the same work
/// (heads x seq^2 = <see cref="WorkSeq"/>^2), so that short sequences still give the cores whole tiles to share.
/// </summary>
internal sealed record AttentionProblem(ElementType Type, int Seq, int HeadDim, bool Causal, int WorkSeq)
{
    public int Heads => Math.Max(1, WorkSeq / Seq * (WorkSeq / Seq));

    public AttentionShape Shape => new(1, Seq, Seq, Heads, Heads, HeadDim);

    public AttentionOptions Options => Causal ? AttentionOptions.CausalMask : AttentionOptions.Default;

    /// <summary>4 b h s_q s_k d (two matrix products), halved under a causal mask.</summary>
    public double ForwardFlops => 4.0 * Heads * Seq * Seq * HeadDim / (Causal ? 2 : 1);

    /// <summary>The FlashAttention-2 paper's convention: five products against the forward's two, 2.5x.</summary>
    public double BackwardFlops => 2.5 * ForwardFlops;

    /// <summary>Bytes of q, the size axis of results.json.</summary>
    public long QueryBytes => Shape.QueryLength * Type.Size;

    public string Label => $"s={Seq} d={HeadDim} h={Heads}{(Causal ? " causal" : "")}";

    public string ItemName(string pass) => $"{AttentionFamilies.Group}/{pass}/{Type.Name}/d{HeadDim}/{Seq}{(Causal ? "/causal" : "")}";
}
