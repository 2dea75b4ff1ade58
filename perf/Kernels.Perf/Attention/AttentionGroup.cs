using Kernels.Perf.Core;

namespace Kernels.Perf.Attention;

/// <summary>
/// Attention: FlashAttention forward and backward GFLOP/s (f32, bf16; d = 64, 128; sequence 512..4096) against the FMA peak,
/// ONNX Runtime's MultiHeadAttention and an OpenBLAS materialised softmax(QK^T)V; batch-1 decode with and without split-KV;
/// packed variable-length batches against per-sequence calls; ring attention step time and overlap at 2 ranks (threads, and processes over shared memory). About 60-90 s in a full run, a few seconds with --quick.
/// </summary>
public sealed class AttentionGroup : IBenchmarkGroup
{
    public string Name => AttentionFamilies.Group;

    public bool MeasuresLimits => false;

    public IReadOnlyList<BenchmarkItem> Plan(BenchmarkContext context) =>
        FlashCases.All(context).Concat(DecodeCase.All(context)).Concat(PackedBatchCase.All(context)).Concat(RingCase.All(context))
            .Concat(RingProcessCase.All(context)).ToList();
}
