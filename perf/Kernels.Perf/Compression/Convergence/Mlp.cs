namespace Kernels.Perf.Compression.Convergence;

/// <summary>A two-layer perceptron, features-hidden-classes with tanh: logits = tanh(x W1 + b1) W2 + b2.</summary>
public sealed class Mlp(int features, int hidden, int classes, float penalty) : IModel
{
    private int W1 => 0;
    private int B1 => features * hidden;
    private int W2 => B1 + hidden;
    private int B2 => W2 + hidden * classes;

    public string Name => $"MLP {features}-{hidden}-{classes}";

    public int ParameterCount => B2 + classes;

    public IReadOnlyList<TensorSlice> Tensors => [new(W1, features, hidden), new(B1, hidden, 1), new(W2, hidden, classes), new(B2, classes, 1)];

    /// <summary>Weights N(0, 1 / fan-in), biases 0.</summary>
    public void Initialize(Span<float> parameters, ulong seed)
    {
        var random = new SeededRandom(seed);
        parameters.Clear();
        float s1 = 1 / MathF.Sqrt(features), s2 = 1 / MathF.Sqrt(hidden);
        for (int i = 0; i < features * hidden; i++) parameters[W1 + i] = s1 * random.Normal();
        for (int i = 0; i < hidden * classes; i++) parameters[W2 + i] = s2 * random.Normal();
    }

    public float LossAndGradient(ReadOnlySpan<float> parameters, Dataset data, ReadOnlySpan<int> rows, Span<float> gradient)
    {
        gradient.Clear();
        Span<float> h = stackalloc float[hidden], dh = stackalloc float[hidden], logits = stackalloc float[classes];
        float loss = 0, inverse = 1f / rows.Length;
        foreach (int row in rows)
        {
            ReadOnlySpan<float> x = data.Row(row);
            Forward(parameters, x, h, logits);
            loss += SoftmaxMath.CrossEntropyGradient(logits, data.Labels[row]);
            for (int c = 0; c < classes; c++) gradient[B2 + c] += logits[c] * inverse;
            for (int j = 0; j < hidden; j++)
            {
                float back = 0;
                for (int c = 0; c < classes; c++)
                {
                    gradient[W2 + j * classes + c] += h[j] * logits[c] * inverse;
                    back += parameters[W2 + j * classes + c] * logits[c];
                }
                dh[j] = back * (1 - h[j] * h[j]) * inverse;
                gradient[B1 + j] += dh[j];
            }
            for (int f = 0; f < features; f++)
            {
                if (x[f] == 0) continue;
                for (int j = 0; j < hidden; j++) gradient[W1 + f * hidden + j] += x[f] * dh[j];
            }
        }
        float reg = SoftmaxMath.Penalty(parameters.Slice(W1, features * hidden), gradient.Slice(W1, features * hidden), penalty)
            + SoftmaxMath.Penalty(parameters.Slice(W2, hidden * classes), gradient.Slice(W2, hidden * classes), penalty);
        return loss * inverse + reg;
    }

    public (double Loss, double Accuracy) Evaluate(ReadOnlySpan<float> parameters, Dataset data)
    {
        Span<float> h = stackalloc float[hidden], logits = stackalloc float[classes];
        double loss = 0;
        int correct = 0;
        for (int row = 0; row < data.Count; row++)
        {
            Forward(parameters, data.Row(row), h, logits);
            if (SoftmaxMath.ArgMax(logits) == data.Labels[row]) correct++;
            loss += SoftmaxMath.CrossEntropyGradient(logits, data.Labels[row]);
        }
        float reg = SoftmaxMath.Penalty(parameters.Slice(W1, features * hidden), penalty) + SoftmaxMath.Penalty(parameters.Slice(W2, hidden * classes), penalty);
        return (loss / data.Count + reg, correct / (double)data.Count);
    }

    private void Forward(ReadOnlySpan<float> p, ReadOnlySpan<float> x, Span<float> h, Span<float> logits)
    {
        p.Slice(B1, hidden).CopyTo(h);
        for (int f = 0; f < features; f++)
        {
            if (x[f] == 0) continue;
            for (int j = 0; j < hidden; j++) h[j] += x[f] * p[W1 + f * hidden + j];
        }
        for (int j = 0; j < hidden; j++) h[j] = MathF.Tanh(h[j]);
        p.Slice(B2, classes).CopyTo(logits);
        for (int j = 0; j < hidden; j++)
        {
            for (int c = 0; c < classes; c++) logits[c] += h[j] * p[W2 + j * classes + c];
        }
    }
}
