namespace Kernels.Perf.Compression.Convergence;

/// <summary>A synthetic classification set: one Gaussian blob (unit variance) per class around a random mean.</summary>
public static class GaussianMixture
{
    /// <param name="perClass">Samples per class.</param>
    /// <param name="features">Dimensions.</param>
    /// <param name="classes">Classes.</param>
    /// <param name="separation">Standard deviation of the class means: larger is easier.</param>
    /// <param name="seed">Seed of means and samples.</param>
    public static Dataset Generate(int perClass, int features, int classes, float separation, ulong seed)
    {
        var random = new SeededRandom(seed);
        var means = new float[classes * features];
        for (int i = 0; i < means.Length; i++) means[i] = separation * random.Normal();
        int count = perClass * classes;
        var x = new float[count * features];
        var labels = new int[count];
        for (int s = 0; s < count; s++)
        {
            int label = s % classes;
            labels[s] = label;
            for (int f = 0; f < features; f++) x[s * features + f] = means[label * features + f] + random.Normal();
        }
        return new Dataset($"gaussian-mixture-{classes}x{features}", x, labels, features, classes);
    }
}
