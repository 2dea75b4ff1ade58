using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Operators;

[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class RmsNormTests(string target) : PerTargetFixture(target)
{
    /// <summary>Row counts 1..33 and widths from 1 to 8192, odd ones included.</summary>
    internal static readonly (int Rows, int Cols)[] Shapes =
    [
        (1, 1), (2, 3), (3, 7), (1, 8), (5, 15), (4, 16), (7, 17), (33, 31), (9, 64), (13, 97), (1, 127), (6, 128),
        (2, 1025), (17, 333), (1, 4095), (3, 4096), (2, 4097), (1, 6 * 512 + 7), (1, 8191), (2, 8192),
    ];

    /// <summary>fp32 accumulation over up to 8192 columns and rounding to T: one ulp of T plus a small relative term.</summary>
    internal const double RelativeTolerance = 2e-6;

    [Test]
    public void NormalizeMatchesFloat64Reference([Values] Storage storage) => storage.Run(new NormalizeCase(TargetName, InPlace: false));

    [Test]
    public void NormalizeInPlace([Values] Storage storage) => storage.Run(new NormalizeCase(TargetName, InPlace: true));

    [Test]
    public void AddRmsNormMatchesFloat64Reference([Values] Storage storage, [Values] bool outputOverX)
        => storage.Run(new AddCase(TargetName, outputOverX));

    [Test]
    public void NonFiniteValuesPoisonOnlyTheirRow([Values] Storage storage) => storage.Run(new NonFiniteCase(TargetName));

    [Test]
    public void ZeroRowGivesZeros()
    {
        float[] x = new float[33], w = Samples.Uniform<float>(33, 1), y = Samples.Filled<float>(33, 9f);
        RmsNorm.Normalize<float>(x, w, y, cols: 33, eps: 1e-6f);
        Assert.That(y, Is.All.EqualTo(0f));
    }

    private sealed record NormalizeCase(string Target, bool InPlace) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach ((int rows, int cols) in Shapes)
            {
                T[] x = Samples.Uniform<T>(rows * cols, seed: rows * 7919 + cols), w = Samples.Uniform<T>(cols, seed: cols, low: 0.5f, high: 1.5f);
                double[] expected = Float64Reference.RmsNorm<T>(x, w, cols, 1e-5);
                T[] y = InPlace ? x : new T[x.Length];
                RmsNorm.Normalize<T>(x, w, y, rows, cols, 1e-5f);
                Compare.Near<T>(y, expected, 1, $"{Target} rows={rows} cols={cols} inPlace={InPlace}", RelativeTolerance);
            }
        }
    }

    private sealed record AddCase(string Target, bool OutputOverX) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach ((int rows, int cols) in Shapes)
            {
                T[] x = Samples.Uniform<T>(rows * cols, seed: rows + 31 * cols), residual = Samples.Uniform<T>(rows * cols, seed: rows + 37 * cols);
                T[] w = Samples.Uniform<T>(cols, seed: cols + 1, low: 0.5f, high: 1.5f);
                // The residual is rounded to T before it is normalised: the reference does the same.
                T[] expectedResidual = x.Zip(residual, (a, b) => Values.Round<T>(Values.ToDouble(a) + Values.ToDouble(b))).ToArray();
                double[] expected = Float64Reference.RmsNorm<T>(expectedResidual, w, cols, 1e-6);
                T[] y = OutputOverX ? x : new T[x.Length];
                RmsNorm.AddRmsNorm<T>(x, residual, w, y, cols, 1e-6f);
                string context = $"{Target} rows={rows} cols={cols} y==x:{OutputOverX}";
                Compare.Bitwise<T>(residual, expectedResidual, context + " residual");
                Compare.Near<T>(y, expected, 1, context, RelativeTolerance);
            }
        }
    }

    private sealed record NonFiniteCase(string Target) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            const int rows = 3, cols = 97;
            foreach (float poison in new[] { float.NaN, float.PositiveInfinity })
            {
                T[] x = Samples.Uniform<T>(rows * cols, seed: 4), w = Samples.Uniform<T>(cols, seed: 5), y = new T[x.Length];
                x[cols + 50] = Values.From<T>(poison);
                RmsNorm.Normalize<T>(x, w, y, cols, 1e-6f);
                // NaN makes its row NaN; infinity makes the inverse RMS 0, so its row is zeros with NaN (inf * 0) in its place.
                Compare.Near<T>(y, Float64Reference.RmsNorm<T>(x, w, cols, 1e-6), 1, $"{Target} {poison} in row 1", RelativeTolerance);
                Assert.That(Values.IsNaN(y[cols + 50]), $"{Target}: the {poison} element must give NaN");
                Assert.That(y.AsSpan(0, cols).ToArray().Concat(y.AsSpan(2 * cols).ToArray()).All(v => double.IsFinite(Values.ToDouble(v))),
                    $"{Target}: rows beside the {poison} must stay finite");
            }
        }
    }
}
