using Microsoft.ML.OnnxRuntime.Tensors;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;

namespace Kernels.Perf.Peers.OnnxRuntime;

/// <summary>
/// ONNX Runtime's RMSNorm kernels as contenders: SimplifiedLayerNormalization for RmsNorm.Normalize,
/// SkipSimplifiedLayerNormalization for RmsNorm.AddRmsNorm. One session per op and type for the
/// whole run (created on first use, disposed with the context); a type ORT has no CPU kernel for is
/// reported as not run with ORT's own message.
/// </summary>
public sealed class OrtNormPeer(BenchmarkContext context, int cols, float eps)
{
    private readonly Dictionary<(string Op, string Type), (OrtNormSession? Session, string? Failure)> _sessions = [];

    public Contender Normalize(ElementType type, NativeBuffer x, NativeBuffer weight, NativeBuffer y, int rows)
    {
        (OrtNormSession? session, string? failure) = SessionFor("SimplifiedLayerNormalization", type,
            OnnxNormModels.SimplifiedLayerNormalization);
        if (session is null)
        {
            return Contender.Unavailable(Implementations.OnnxRuntime, $"SimplifiedLayerNormalization {type.Name}: {failure}");
        }
        long[] matrix = [rows, cols];
        OrtNormSession.BoundRun run = session.Bind(TensorType(type),
            [(OnnxNormModels.Input, x, matrix), (OnnxNormModels.Gamma, weight, [cols])],
            [(OnnxNormModels.Output, y, matrix)], type.Size);
        return new Contender(Implementations.OnnxRuntime, run.Run, Resources: run);
    }

    /// <summary>ORT writes the sum to its own output (<paramref name="sum"/>); we update the residual in place: the same bytes move.</summary>
    public Contender AddNormalize(ElementType type, NativeBuffer x, NativeBuffer residual, NativeBuffer weight, NativeBuffer y,
        NativeBuffer sum, int rows)
    {
        (OrtNormSession? session, string? failure) = SessionFor("SkipSimplifiedLayerNormalization", type,
            OnnxNormModels.SkipSimplifiedLayerNormalization);
        if (session is null)
        {
            return Contender.Unavailable(Implementations.OnnxRuntime, $"SkipSimplifiedLayerNormalization {type.Name}: {failure}");
        }
        long[] matrix = [rows, cols];
        OrtNormSession.BoundRun run = session.Bind(TensorType(type),
            [(OnnxNormModels.Input, x, matrix), (OnnxNormModels.Skip, residual, matrix), (OnnxNormModels.Gamma, weight, [cols])],
            [(OnnxNormModels.Output, y, matrix), (OnnxNormModels.Sum, sum, matrix)], type.Size);
        return new Contender(Implementations.OnnxRuntime, run.Run, Resources: run);
    }

    private (OrtNormSession? Session, string? Failure) SessionFor(string op, ElementType type, Func<int, long, float, byte[]> model)
    {
        if (!_sessions.TryGetValue((op, type.Name), out var entry))
        {
            OrtNormSession? session = OrtNormSession.TryCreate(model(ModelType(type), cols, eps), context.Threads, out string? failure);
            entry = (session is null ? null : context.Own(session), failure);
            _sessions[(op, type.Name)] = entry;
        }
        return entry;
    }

    private static int ModelType(ElementType type) => type == ElementType.BF16 ? OnnxNormModels.BFloat16 : OnnxNormModels.Float;

    private static TensorElementType TensorType(ElementType type) =>
        type == ElementType.BF16 ? TensorElementType.BFloat16 : TensorElementType.Float;
}
