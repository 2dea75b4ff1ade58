using Kernels.Compression;

namespace Kernels.Tests.Compression;

/// <summary>
/// The compressed all-reduce protocols with EF14 in float64, over every rank's gradient at once: the reference the fp32
/// implementation is compared with. Each keeps its residuals (and PowerSGD's warm-start Q) across steps.
/// </summary>
internal abstract class CompressedAllReduceReference(int ranks, int length)
{
    protected readonly double[][] Residuals = Enumerable.Range(0, ranks).Select(_ => new double[length]).ToArray();

    protected int Ranks => ranks;

    protected int Length => length;

    /// <summary>One step: the average estimate every rank should get.</summary>
    internal abstract double[] Step(float[][] gradients);

    protected double[] Compensated(int rank, float[] gradient) => gradient.Select((g, i) => g + Residuals[rank][i]).ToArray();
}

/// <summary>Top-k of g + e per rank (ties to the lower index), the kept values summed over ranks, divided by n.</summary>
internal sealed class TopKReference(int ranks, int length, int k) : CompressedAllReduceReference(ranks, length)
{
    /// <summary>The indices each rank sent in the last step.</summary>
    internal int[][] Kept { get; } = new int[ranks][];

    internal override double[] Step(float[][] gradients)
    {
        var sum = new double[Length];
        for (int r = 0; r < Ranks; r++)
        {
            double[] c = Compensated(r, gradients[r]);
            int[] kept = Kept[r] = Enumerable.Range(0, Length).OrderByDescending(i => Math.Abs(c[i])).ThenBy(i => i).Take(k).ToArray();
            Array.Copy(c, Residuals[r], Length);
            foreach (int i in kept)
            {
                sum[i] += c[i];
                Residuals[r][i] = 0;
            }
        }
        return sum.Select(s => s / Ranks).ToArray();
    }
}

/// <summary>
/// 1-bit two-phase: per rank sign(g + e) times the chunk's mean |.|, averaged per part, the average compressed again with the
/// server error of the part's owner. Parts start at multiples of lcm(chunk, 32), so the chunk grid is the whole vector's.
/// </summary>
internal sealed class OneBitReference(int ranks, int length, int chunk) : CompressedAllReduceReference(ranks, length)
{
    private readonly double[] _serverResiduals = new double[length];

    internal override double[] Step(float[][] gradients)
    {
        var average = new double[Length];
        for (int r = 0; r < Ranks; r++)
        {
            double[] c = Compensated(r, gradients[r]);
            double[] d = SignTimesScale(c, 0, Length);
            for (int i = 0; i < Length; i++)
            {
                average[i] += d[i] / Ranks;
                Residuals[r][i] = c[i] - d[i];
            }
        }
        var result = new double[Length];
        foreach ((int offset, int count) in Parts())
        {
            double[] c = Enumerable.Range(offset, count).Select(i => average[i] + _serverResiduals[i]).ToArray();
            double[] d = SignTimesScale(c, 0, count);
            for (int i = 0; i < count; i++)
            {
                result[offset + i] = d[i];
                _serverResiduals[offset + i] = c[i] - d[i];
            }
        }
        return result;
    }

    private double[] SignTimesScale(double[] c, int start, int count)
    {
        var d = new double[count];
        for (int chunkStart = 0; chunkStart < count; chunkStart += chunk)
        {
            int end = Math.Min(count, chunkStart + chunk);
            double scale = 0;
            for (int i = chunkStart; i < end; i++) scale += Math.Abs(c[start + i]);
            scale /= end - chunkStart;
            for (int i = chunkStart; i < end; i++) d[i] = c[start + i] < 0 ? -scale : scale;
        }
        return d;
    }

    private IEnumerable<(int Offset, int Count)> Parts()
    {
        int alignment = chunk * 32 / Gcd(chunk, 32);
        int units = (Length + alignment - 1) / alignment;
        for (int r = 0; r < Ranks; r++)
        {
            int start = r * (units / Ranks) + Math.Min(r, units % Ranks);
            int count = units / Ranks + (r < units % Ranks ? 1 : 0);
            int offset = Math.Min(Length, start * alignment);
            yield return (offset, Math.Min(Length, (start + count) * alignment) - offset);
        }
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}

/// <summary>PowerSGD with EF14: P = sum_r (g_r + e_r) Q, orthonormalised; Q = mean_r (g_r + e_r)^T P; e_r = M_r - P Q_r^T.</summary>
internal sealed class PowerSgdReference : CompressedAllReduceReference
{
    private readonly int _rows, _cols, _rank;
    private double[] _q;

    internal PowerSgdReference(int ranks, int rows, int cols, int rank, ulong seed) : base(ranks, rows * cols)
    {
        (_rows, _cols, _rank) = (rows, cols, rank);
        // The compressor's initial Q: standard normal values from SplitMix64 with the seed, rounded to fp32 as it stores them.
        _q = Enumerable.Range(0, cols * rank).Select(i => (double)SplitMix64.Normal(seed, i)).ToArray();
    }

    internal override double[] Step(float[][] gradients)
    {
        double[][] m = Enumerable.Range(0, Ranks).Select(r => Compensated(r, gradients[r])).ToArray();
        var p = new double[_rows * _rank];
        foreach (double[] mr in m)
        {
            for (int i = 0; i < _rows; i++)
                for (int j = 0; j < _rank; j++)
                    for (int c = 0; c < _cols; c++) p[i * _rank + j] += mr[i * _cols + c] * _q[c * _rank + j];
        }
        Orthonormalize(p);
        var qAverage = new double[_cols * _rank];
        for (int r = 0; r < Ranks; r++)
        {
            var q = new double[_cols * _rank];
            for (int c = 0; c < _cols; c++)
                for (int j = 0; j < _rank; j++)
                    for (int i = 0; i < _rows; i++) q[c * _rank + j] += m[r][i * _cols + c] * p[i * _rank + j];
            for (int x = 0; x < q.Length; x++) qAverage[x] += q[x] / Ranks;
            double[] local = Product(p, q);
            for (int x = 0; x < Length; x++) Residuals[r][x] = m[r][x] - local[x];
        }
        _q = qAverage;
        return Product(p, qAverage);
    }

    private double[] Product(double[] p, double[] q)
    {
        var result = new double[Length];
        for (int i = 0; i < _rows; i++)
            for (int c = 0; c < _cols; c++)
                for (int j = 0; j < _rank; j++) result[i * _cols + c] += p[i * _rank + j] * q[c * _rank + j];
        return result;
    }

    private void Orthonormalize(double[] p)
    {
        for (int j = 0; j < _rank; j++)
        {
            for (int k = 0; k < j; k++)
            {
                double dot = 0;
                for (int i = 0; i < _rows; i++) dot += p[i * _rank + j] * p[i * _rank + k];
                for (int i = 0; i < _rows; i++) p[i * _rank + j] -= dot * p[i * _rank + k];
            }
            double norm = 0;
            for (int i = 0; i < _rows; i++) norm += p[i * _rank + j] * p[i * _rank + j];
            norm = Math.Sqrt(norm);
            for (int i = 0; i < _rows; i++) p[i * _rank + j] /= norm;
        }
    }
}
