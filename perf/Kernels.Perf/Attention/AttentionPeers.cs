using System.Runtime.InteropServices;

namespace Kernels.Perf.Attention;

/// <summary>The native attention peer (perf/native/attention_peers.h), through a hand-written import as for the probe.</summary>
internal static unsafe partial class AttentionPeers
{
    private const string Library = "kernels_perf_attention_peers";

    [LibraryImport(Library, EntryPoint = "kpa_attention_openblas")]
    internal static partial void AttentionOpenBlas(float* q, float* k, float* v, float* o, float* scores, nuint batch, nuint seqQ,
        nuint seqK, nuint heads, nuint kvHeads, nuint headDim, float scale, int causal, int threads);
}
