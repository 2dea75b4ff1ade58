using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Kernels.Perf.Core;
using OrtRunOptions = Microsoft.ML.OnnxRuntime.RunOptions;

namespace Kernels.Perf.Peers.OnnxRuntime;

/// <summary>
/// An ORT CPU session over one of <see cref="OnnxNormModels"/>, with IntraOpNumThreads = our thread
/// count. <see cref="Bind"/> wraps our native buffers in OrtValues and binds them with an IoBinding,
/// so the timed call is RunWithBinding alone: no allocation, no copy.
/// </summary>
internal sealed class OrtNormSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtRunOptions _runOptions = new();

    private OrtNormSession(InferenceSession session) => _session = session;

    /// <summary>The session, or null with ORT's reason (e.g. no CPU kernel for the element type).</summary>
    public static OrtNormSession? TryCreate(byte[] model, int threads, out string? failure)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            failure = null;
            return new OrtNormSession(new InferenceSession(model, options));
        }
        catch (OnnxRuntimeException e)
        {
            failure = FirstLine(e.Message);
            return null;
        }
    }

    /// <summary>Binds the named buffers as tensors of the given shapes; dispose the result when the case ends.</summary>
    public BoundRun Bind(TensorElementType elementType, IReadOnlyList<(string Name, NativeBuffer Buffer, long[] Shape)> inputs,
        IReadOnlyList<(string Name, NativeBuffer Buffer, long[] Shape)> outputs, int elementSize)
    {
        var values = new List<OrtValue>();
        OrtIoBinding binding = _session.CreateIoBinding();
        foreach (var (name, buffer, shape) in inputs)
        {
            binding.BindInput(name, Wrap(values, elementType, buffer, shape, elementSize));
        }
        foreach (var (name, buffer, shape) in outputs)
        {
            binding.BindOutput(name, Wrap(values, elementType, buffer, shape, elementSize));
        }
        return new BoundRun(_session, _runOptions, binding, values);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static OrtValue Wrap(List<OrtValue> values, TensorElementType elementType, NativeBuffer buffer, long[] shape, int elementSize)
    {
        long bytes = shape.Aggregate(1L, (product, dim) => product * dim) * elementSize;
        OrtValue value = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, elementType, shape, buffer.Address, bytes);
        values.Add(value);
        return value;
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>A session with its buffers bound: <see cref="Run"/> is the timed call.</summary>
    internal sealed class BoundRun(InferenceSession session, OrtRunOptions runOptions, OrtIoBinding binding, List<OrtValue> values)
        : IDisposable
    {
        public void Run() => session.RunWithBinding(runOptions, binding);

        public void Dispose()
        {
            binding.Dispose();
            foreach (OrtValue value in values)
            {
                value.Dispose();
            }
        }
    }
}
