using System.Runtime.Intrinsics.X86;
using Kernels.Attention;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;
using Kernels.Perf.Peers.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Kernels.Perf.Attention;

/// <summary>
/// FlashAttention forward and backward as GFLOP/s. Forward f32 cases with peers take turns with ONNX Runtime's
/// MultiHeadAttention and the OpenBLAS materialised softmax(QK^T)V, all on the same threads and buffers; every case also
/// takes turns with the FMA peak probe (<see cref="FmaPeakInTurns"/>), the limit its % of peak is taken against.
/// </summary>
internal static class FlashCases
{
    public static IEnumerable<BenchmarkItem> All(BenchmarkContext context)
    {
        bool quick = context.Options.Quick;
        int[] seqs = quick ? [512] : [512, 1024, 2048, 4096];
        int[] peerSeqs = quick ? [512] : [1024, 4096];
        int workSeq = quick ? 1024 : 4096;
        foreach (ElementType type in new[] { ElementType.F32, ElementType.BF16 })
        {
            foreach (int headDim in new[] { 64, 128 })
            {
                foreach (int seq in seqs)
                {
                    foreach (bool causal in new[] { false, true })
                    {
                        var problem = new AttentionProblem(type, seq, headDim, causal, workSeq);
                        bool peers = type == ElementType.F32 && peerSeqs.Contains(seq);
                        yield return new BenchmarkItem(problem.ItemName("forward"), Estimate(problem.ForwardFlops, peers ? 3 : 1),
                            c => Forward(c, problem, peers));
                    }
                }
            }
        }
        foreach (ElementType type in new[] { ElementType.F32, ElementType.BF16 })
        {
            foreach ((int headDim, int seq) in quick ? [(128, 512)] : new[] { (64, 4096), (128, 1024), (128, 4096) })
            {
                foreach (bool causal in new[] { false, true })
                {
                    var problem = new AttentionProblem(type, seq, headDim, causal, workSeq);
                    yield return new BenchmarkItem(problem.ItemName("backward"), Estimate(problem.BackwardFlops, 1), c => Backward(c, problem));
                }
            }
        }
    }

    /// <summary>About 6 calls per contender at ~50 GFLOP/s (peers are counted as slower).</summary>
    private static double Estimate(double flops, int contenders) => 6 * contenders * flops / 50e9;

    private static IReadOnlyList<Measurement> Forward(BenchmarkContext context, AttentionProblem p, bool withPeers)
    {
        using var buffers = new AttentionBuffers(p.Shape, p.Type.Size, withGradients: false);
        using var resources = new ResourceList();
        var contenders = new List<Contender> { new(Implementations.Ours, OursForward(p, buffers)) };
        if (withPeers)
        {
            contenders.Add(Ort(context, p, buffers, resources));
            contenders.Add(OpenBlas(context, p, buffers, resources));
        }
        return Time(context, p, AttentionFamilies.Forward, p.ForwardFlops, contenders);
    }

    private static IReadOnlyList<Measurement> Backward(BenchmarkContext context, AttentionProblem p)
    {
        using var buffers = new AttentionBuffers(p.Shape, p.Type.Size, withGradients: true);
        OursForward(p, buffers)();  // the O and lse the backward reads
        return Time(context, p, AttentionFamilies.Backward, p.BackwardFlops, [new(Implementations.Ours, OursBackward(p, buffers))]);
    }

    private static IReadOnlyList<Measurement> Time(BenchmarkContext context, AttentionProblem p, string family, double flops,
        IReadOnlyList<Contender> contenders)
    {
        List<Contender> runnable = contenders.Where(c => c.Call is not null).ToList();
        var peak = new FmaPeakInTurns(context.Threads);
        List<Action> calls = runnable.Select(c => c.Call!).ToList();
        if (peak.Available)
        {
            calls.Add(peak.Call);
        }
        IReadOnlyList<Timing> timings = MedianTimer.MeasureInTurns(calls, AttentionTiming.For(context));
        var measurements = contenders.Select(c =>
        {
            int index = runnable.IndexOf(c);
            if (index < 0)
            {
                return new Measurement(AttentionFamilies.Group, family, c.Implementation, p.Type.Name, p.QueryBytes, p.Label, context.Threads,
                    double.NaN, 0, double.NaN, "GFLOP/s", null, 0, c.UnavailableReason);
            }
            Timing t = timings[index];
            return new Measurement(AttentionFamilies.Group, family, c.Implementation, p.Type.Name, p.QueryBytes, p.Label, context.Threads,
                t.MedianSeconds, 0, flops / t.MedianSeconds / 1e9, "GFLOP/s", null, t.Calls);
        }).ToList();
        if (peak.Available)
        {
            Timing t = timings[^1];
            measurements.Add(new Measurement(AttentionFamilies.Group, family, AttentionFamilies.FmaPeakInTurns, p.Type.Name, p.QueryBytes,
                p.Label, context.Threads, t.MedianSeconds, 0, peak.MedianGflops, "GFLOP/s", null, t.Calls));
        }
        return measurements;
    }

    private static Action OursForward(AttentionProblem p, AttentionBuffers b) => p.Type == ElementType.F32
        ? () => Forward<float>(p, b)
        : () => Forward<BFloat16>(p, b);

    private static Action OursBackward(AttentionProblem p, AttentionBuffers b) => p.Type == ElementType.F32
        ? () => Backward<float>(p, b)
        : () => Backward<BFloat16>(p, b);

    private static void Forward<T>(AttentionProblem p, AttentionBuffers b) where T : unmanaged
    {
        AttentionShape s = p.Shape;
        FlashAttention.Forward(b.Q.Span<T>(s.QueryLength), b.K.Span<T>(s.KeyLength), b.V.Span<T>(s.ValueLength),
            b.O.Span<T>(s.OutputLength), b.Lse.Span<float>(s.RowCount), s, p.Options);
    }

    private static void Backward<T>(AttentionProblem p, AttentionBuffers b) where T : unmanaged
    {
        AttentionShape s = p.Shape;
        FlashAttention.Backward(b.Q.Span<T>(s.QueryLength), b.K.Span<T>(s.KeyLength), b.V.Span<T>(s.ValueLength),
            b.O.Span<T>(s.OutputLength), b.Lse.Span<float>(s.RowCount), b.DO!.Span<T>(s.OutputLength), b.DQ!.Span<T>(s.QueryLength),
            b.DK!.Span<T>(s.KeyLength), b.DV!.Span<T>(s.ValueLength), s, p.Options);
    }

    private static Contender Ort(BenchmarkContext context, AttentionProblem p, AttentionBuffers b, ResourceList resources)
    {
        byte[] model = OnnxAttentionModel.MultiHeadAttention(OnnxNormModels.Float, p.Seq, p.Heads, p.HeadDim, p.Causal);
        OrtNormSession? session = OrtNormSession.TryCreate(model, context.Threads, out string? failure);
        if (session is null)
        {
            return Contender.Unavailable(Implementations.OnnxRuntime, $"MultiHeadAttention: {failure}");
        }
        resources.Add(session);
        long[] shape = [1, p.Seq, (long)p.Heads * p.HeadDim];
        OrtNormSession.BoundRun run = resources.Add(session.Bind(TensorElementType.Float,
            [(OnnxAttentionModel.Query, b.Q, shape), (OnnxAttentionModel.Key, b.K, shape), (OnnxAttentionModel.Value, b.V, shape)],
            [(OnnxAttentionModel.Output, b.O, shape)], sizeof(float)));
        try
        {
            run.Run();  // an op ORT cannot run with these attributes fails here, not in the timed loop
        }
        catch (Exception e)
        {
            return Contender.Unavailable(Implementations.OnnxRuntime, $"MultiHeadAttention: {e.Message.Split('\n')[0]}");
        }
        return new Contender(Implementations.OnnxRuntime, run.Run);
    }

    private static unsafe Contender OpenBlas(BenchmarkContext context, AttentionProblem p, AttentionBuffers b, ResourceList resources)
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
        {
            return Contender.Unavailable(AttentionFamilies.OpenBlas, "the peer library is built for AVX2 + FMA");
        }
        NativeBuffer scores = resources.Add(new NativeBuffer((long)p.Seq * p.Seq * sizeof(float), seed: 7));
        float scale = p.Options.ScaleFor(p.HeadDim);
        int threads = context.Threads;
        return new Contender(AttentionFamilies.OpenBlas, () => AttentionPeers.AttentionOpenBlas((float*)b.Q.Address, (float*)b.K.Address,
            (float*)b.V.Address, (float*)b.O.Address, (float*)scores.Address, 1, (nuint)p.Seq, (nuint)p.Seq, (nuint)p.Heads,
            (nuint)p.Heads, (nuint)p.HeadDim, scale, p.Causal ? 1 : 0, threads));
    }

    /// <summary>Sessions, bindings and scratch of one case, disposed in reverse order when it ends.</summary>
    private sealed class ResourceList : IDisposable
    {
        private readonly List<IDisposable> _items = [];

        public T Add<T>(T item) where T : IDisposable
        {
            _items.Add(item);
            return item;
        }

        public void Dispose()
        {
            for (int i = _items.Count - 1; i >= 0; i--)
            {
                _items[i].Dispose();
            }
        }
    }
}
