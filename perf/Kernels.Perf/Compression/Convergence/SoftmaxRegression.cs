namespace Kernels.Perf.Compression.Convergence;

/// <summary>Multinomial logistic regression: logits = x W + b, W features x classes.</summary>
public sealed class SoftmaxRegression(int features, int classes, float penalty) : IModel
{
    public string Name => "softmax regression";

    public int ParameterCount => features * classes + classes;

    public IReadOnlyList<TensorSlice> Tensors => [new(0, features, classes), new(features * classes, classes, 1)];

    public void Initialize(Span<float> parameters, ulong seed) => parameters.Clear();

    public float LossAndGradient(ReadOnlySpan<float> parameters, Dataset data, ReadOnlySpan<int> rows, Span<float> gradient)
    {
        gradient.Clear();
        ReadOnlySpan<float> w = parameters[..(features * classes)], b = parameters[(features * classes)..];
        Span<float> gw = gradient[..(features * classes)], gb = gradient[(features * classes)..];
        Span<float> logits = stackalloc float[classes];
        float loss = 0, inverse = 1f / rows.Length;
        foreach (int row in rows)
        {
            ReadOnlySpan<float> x = data.Row(row);
            Logits(w, b, x, logits);
            loss += SoftmaxMath.CrossEntropyGradient(logits, data.Labels[row]);
            for (int f = 0; f < features; f++)
            {
                if (x[f] == 0) continue;
                for (int c = 0; c < classes; c++) gw[f * classes + c] += x[f] * logits[c] * inverse;
            }
            for (int c = 0; c < classes; c++) gb[c] += logits[c] * inverse;
        }
        return loss * inverse + SoftmaxMath.Penalty(w, gw, penalty);
    }

    public (double Loss, double Accuracy) Evaluate(ReadOnlySpan<float> parameters, Dataset data)
    {
        ReadOnlySpan<float> w = parameters[..(features * classes)], b = parameters[(features * classes)..];
        Span<float> logits = stackalloc float[classes];
        double loss = 0;
        int correct = 0;
        for (int row = 0; row < data.Count; row++)
        {
            Logits(w, b, data.Row(row), logits);
            if (SoftmaxMath.ArgMax(logits) == data.Labels[row]) correct++;
            loss += SoftmaxMath.CrossEntropyGradient(logits, data.Labels[row]);
        }
        return (loss / data.Count + SoftmaxMath.Penalty(w, penalty), correct / (double)data.Count);
    }

    private void Logits(ReadOnlySpan<float> w, ReadOnlySpan<float> b, ReadOnlySpan<float> x, Span<float> logits)
    {
        b.CopyTo(logits);
        for (int f = 0; f < features; f++)
        {
            if (x[f] == 0) continue;
            for (int c = 0; c < classes; c++) logits[c] += x[f] * w[f * classes + c];
        }
    }
}
