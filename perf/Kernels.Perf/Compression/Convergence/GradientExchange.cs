using Kernels.Collectives;
using Kernels.Compression;

namespace Kernels.Perf.Compression.Convergence;

/// <summary>
/// One rank's averaging of the flat gradient for an SGD method: dense all-reduce; top-k and 1-bit over the whole flat vector;
/// PowerSGD per weight matrix with the biases (vectors: nothing to factor) all-reduced densely together.
/// </summary>
internal sealed class GradientExchange
{
    /// <summary>Elements per 1-bit scale: small enough that the 4 ranks each own a part of these small models.</summary>
    internal const int OneBitChunk = 256;

    private readonly Communicator _communicator;
    private readonly IModel _model;
    private readonly CompressedAllReduce? _flat;
    private readonly List<(TensorSlice Tensor, CompressedAllReduce AllReduce)> _matrices = [];
    private readonly List<TensorSlice> _denseTensors = [];

    internal GradientExchange(Communicator communicator, IModel model, TrainingMethod method)
    {
        _communicator = communicator;
        _model = model;
        ErrorFeedback Feedback() => method.ErrorFeedback ? ErrorFeedback.Ef14() : ErrorFeedback.None();
        switch (method.Compressor)
        {
            case GradientCompressor.TopK:
                int k = Math.Max(1, (int)Math.Round(method.Ratio * model.ParameterCount));
                _flat = new CompressedAllReduce(communicator, new TopK(k), Feedback());
                break;
            case GradientCompressor.OneBit:
                _flat = new CompressedAllReduce(communicator, new OneBit(OneBitChunk), Feedback());
                break;
            case GradientCompressor.PowerSgd:
                foreach (TensorSlice tensor in model.Tensors)
                {
                    if (tensor.IsMatrix && method.Rank <= Math.Min(tensor.Rows, tensor.Cols))
                    {
                        _matrices.Add((tensor, new CompressedAllReduce(communicator, new PowerSgd(method.Rank, seed: (ulong)tensor.Offset), Feedback())));
                    }
                    else
                    {
                        _denseTensors.Add(tensor);
                    }
                }
                break;
        }
    }

    /// <summary>Replaces <paramref name="gradient"/> by the ranks' average estimate; returns the bytes this rank sent.</summary>
    internal long Average(float[] gradient)
    {
        if (_flat is not null)
        {
            return _flat.Run(gradient).BytesSent;
        }
        if (_matrices.Count == 0)
        {
            _communicator.AllReduce<float>(gradient, ReduceOp.Avg);
            return 2L * (_communicator.Size - 1) * gradient.Length * sizeof(float) / _communicator.Size;
        }
        long sent = 0;
        foreach ((TensorSlice tensor, CompressedAllReduce allReduce) in _matrices)
        {
            Span<float> part = gradient.AsSpan(tensor.Offset, tensor.Length);
            sent += allReduce.Run(part, part, new MatrixShape(tensor.Rows, tensor.Cols)).BytesSent;
        }
        if (_denseTensors.Count > 0)
        {
            float[] rest = [.. _denseTensors.SelectMany(t => gradient.AsSpan(t.Offset, t.Length).ToArray())];
            _communicator.AllReduce<float>(rest, ReduceOp.Avg);
            int at = 0;
            foreach (TensorSlice t in _denseTensors)
            {
                rest.AsSpan(at, t.Length).CopyTo(gradient.AsSpan(t.Offset));
                at += t.Length;
            }
            sent += 2L * (_communicator.Size - 1) * rest.Length * sizeof(float) / _communicator.Size;
        }
        return sent;
    }
}
