namespace Kernels.Tests.Compression;

/// <summary>
/// Deep Gradient Compression's worker protocol in float64, written from the paper: u = m u + g, v = v + u, send the top-k of
/// |v| (ties: lower index), zero u and v at the sent coordinates. Alongside it, the sums of |terms| that bound the fp32 error.
/// </summary>
internal sealed class DgcMomentumReference(int length, double momentum, int k)
{
    private readonly double[] _velocity = new double[length];
    private readonly double[] _accumulated = new double[length];
    private readonly double[] _velocityMagnitude = new double[length];    // m |u| + |g|, the size of u's terms
    private readonly double[] _accumulatedMagnitude = new double[length]; // |v| + |u|, the size of v's terms

    internal double[] Velocity => _velocity;

    internal double[] Accumulated => _accumulated;

    internal double[] AccumulatedMagnitude => _accumulatedMagnitude;

    internal double[] VelocityMagnitude => _velocityMagnitude;

    /// <summary>One step; returns the sent (index, value) pairs in index order and the values' magnitude sums.</summary>
    internal (int[] Indices, double[] Values, double[] Magnitudes) Step(ReadOnlySpan<float> gradient)
    {
        for (int i = 0; i < length; i++)
        {
            _velocity[i] = momentum * _velocity[i] + gradient[i];
            _velocityMagnitude[i] = momentum * _velocityMagnitude[i] + Math.Abs(gradient[i]);
            _accumulated[i] += _velocity[i];
            _accumulatedMagnitude[i] += _velocityMagnitude[i];
        }
        int[] sent = Enumerable.Range(0, length).OrderByDescending(i => Math.Abs(_accumulated[i])).ThenBy(i => i).Take(k).Order().ToArray();
        double[] values = sent.Select(i => _accumulated[i]).ToArray();
        double[] magnitudes = sent.Select(i => _accumulatedMagnitude[i]).ToArray();
        foreach (int i in sent)
        {
            _velocity[i] = _accumulated[i] = 0;
            _velocityMagnitude[i] = _accumulatedMagnitude[i] = 0;
        }
        return (sent, values, magnitudes);
    }
}
