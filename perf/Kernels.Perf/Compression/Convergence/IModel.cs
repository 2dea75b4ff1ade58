namespace Kernels.Perf.Compression.Convergence;

/// <summary>One parameter tensor inside a model's flat parameter vector.</summary>
/// <param name="Offset">First element in the flat vector.</param>
/// <param name="Rows">Rows (a bias is rows x 1).</param>
/// <param name="Cols">Columns.</param>
public readonly record struct TensorSlice(int Offset, int Rows, int Cols)
{
    public int Length => Rows * Cols;

    public bool IsMatrix => Rows > 1 && Cols > 1;
}

/// <summary>A small classifier over a flat fp32 parameter vector, with an L2 penalty on its weight matrices (so the optimum is unique for softmax regression).</summary>
public interface IModel
{
    string Name { get; }

    int ParameterCount { get; }

    IReadOnlyList<TensorSlice> Tensors { get; }

    void Initialize(Span<float> parameters, ulong seed);

    /// <summary>Mean cross-entropy over <paramref name="rows"/> plus the penalty; writes its gradient.</summary>
    float LossAndGradient(ReadOnlySpan<float> parameters, Dataset data, ReadOnlySpan<int> rows, Span<float> gradient);

    /// <summary>Mean cross-entropy over the whole set plus the penalty, and the fraction classified correctly.</summary>
    (double Loss, double Accuracy) Evaluate(ReadOnlySpan<float> parameters, Dataset data);
}
