namespace Kernels.Perf.Compression.Convergence;

/// <summary>The softmax cross-entropy step both models end with.</summary>
internal static class SoftmaxMath
{
    /// <summary>Turns <paramref name="logits"/> into probabilities minus the one-hot label (the logits' gradient) and returns -log p[label].</summary>
    internal static float CrossEntropyGradient(Span<float> logits, int label)
    {
        float max = float.NegativeInfinity;
        foreach (float z in logits) max = MathF.Max(max, z);
        float sum = 0;
        for (int c = 0; c < logits.Length; c++)
        {
            logits[c] = MathF.Exp(logits[c] - max);
            sum += logits[c];
        }
        float loss = -MathF.Log(logits[label] / sum);
        for (int c = 0; c < logits.Length; c++) logits[c] /= sum;
        logits[label] -= 1;
        return loss;
    }

    internal static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>(penalty / 2) * ||w||^2, with its gradient added to <paramref name="gradient"/>.</summary>
    internal static float Penalty(ReadOnlySpan<float> w, Span<float> gradient, float penalty)
    {
        float sum = 0;
        for (int i = 0; i < w.Length; i++)
        {
            sum += w[i] * w[i];
            gradient[i] += penalty * w[i];
        }
        return 0.5f * penalty * sum;
    }

    internal static float Penalty(ReadOnlySpan<float> w, float penalty)
    {
        float sum = 0;
        foreach (float v in w) sum += v * v;
        return 0.5f * penalty * sum;
    }
}
