using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/rms_norm.cu under the emulator, both layouts, against the float64 reference with the CPU tests' tolerance
/// (one ulp of T plus 2e-6 relative: the summation order differs from the CPU's, so bits may too).
/// </summary>
public class EmulatedRmsNormTests
{
    /// <summary>Odd widths (element path), multiples of 8 (128-bit path), more rows than warps or blocks.</summary>
    private static readonly (int Rows, int Cols)[] Shapes =
        [(1, 1), (3, 7), (1, 8), (5, 15), (4, 16), (7, 17), (33, 31), (9, 64), (13, 97), (2, 1025), (3, 4096), (2, 4097)];

    /// <summary>Warp layout: 2 warps per block, 2 blocks. Block layout: 4 warps per block, 3 blocks.</summary>
    private static (uint Grid, uint Block) LaunchOf(NormLayout layout) =>
        layout == NormLayout.WarpPerRow ? (2u, 64u) : (3u, 128u);

    [Test]
    public void NormalizeMatchesFloat64Reference([Values] Storage storage, [Values] NormLayout layout, [Values] bool inPlace)
        => storage.Run(new NormalizeCase(layout, inPlace));

    [Test]
    public void AddRmsNormMatchesFloat64Reference([Values] Storage storage, [Values] NormLayout layout, [Values] bool outputOverX)
        => storage.Run(new AddCase(layout, outputOverX));

    [Test]
    public void RerunsGiveTheSameBits([Values] NormLayout layout)
    {
        const int rows = 5, cols = 1000;
        // Native 16-byte-aligned buffers: the kernel picks its 128-bit path (and so its summation order) by alignment, which a
        // managed array does not keep from one allocation or GC move to the next.
        using var x = new AlignedArray<float>(Samples.Uniform<float>(rows * cols, 3), 0);
        using var w = new AlignedArray<float>(Samples.Uniform<float>(cols, 4), 0);
        using var first = new AlignedArray<float>(new float[rows * cols], 0);
        using var second = new AlignedArray<float>(new float[rows * cols], 0);
        var (grid, block) = LaunchOf(layout);
        Emulator.RmsNorm<float>(x.Span, w.Span, first.Span, rows, cols, 1e-6f, layout, grid, block);
        Emulator.RmsNorm<float>(x.Span, w.Span, second.Span, rows, cols, 1e-6f, layout, grid, block);
        Compare.Bitwise<float>(second.Span, first.ToArray(), $"{layout} rerun");
    }

    [Test]
    public void NaNPoisonsOnlyItsRow([Values] NormLayout layout)
    {
        const int rows = 3, cols = 97;
        float[] x = Samples.Uniform<float>(rows * cols, 4), w = Samples.Uniform<float>(cols, 5), y = new float[x.Length];
        x[cols + 50] = float.NaN;
        var (grid, block) = LaunchOf(layout);
        Emulator.RmsNorm<float>(x, w, y, rows, cols, 1e-6f, layout, grid, block);
        Compare.Near<float>(y, Float64Reference.RmsNorm<float>(x, w, cols, 1e-6), 1, $"{layout} NaN in row 1", 2e-6);
    }

    [Test]
    public void BlockNotAMultipleOfAWarpIsReportedNotRun()
    {
        float[] x = Samples.Uniform<float>(64, 1), w = Samples.Uniform<float>(64, 2), y = new float[64];
        var error = Assert.Throws<EmulatedLaunchException>(() =>
            Emulator.RmsNorm<float>(x, w, y, 1, 64, 1e-6f, NormLayout.BlockPerRow, 1, 48))!;
        Assert.That(error.Message, Does.Contain("rms_norm_block_per_row").And.Contain("__shfl_xor_sync").And.Contain("this block does not have"));
    }

    private sealed record NormalizeCase(NormLayout Layout, bool InPlace) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            var (grid, block) = LaunchOf(Layout);
            foreach ((int rows, int cols) in Shapes)
            {
                T[] x = Samples.Uniform<T>(rows * cols, seed: rows * 7919 + cols), w = Samples.Uniform<T>(cols, seed: cols, low: 0.5f, high: 1.5f);
                double[] expected = Float64Reference.RmsNorm<T>(x, w, cols, 1e-5);
                using var dx = new AlignedArray<T>(x, 0);
                using var dw = new AlignedArray<T>(w, 0);
                using var dy = new AlignedArray<T>(new T[x.Length], 0);
                Emulator.RmsNorm<T>(dx.Span, dw.Span, InPlace ? dx.Span : dy.Span, rows, cols, 1e-5f, Layout, grid, block);
                Compare.Near<T>(InPlace ? dx.Span : dy.Span, expected, 1, $"{Layout} rows={rows} cols={cols} inPlace={InPlace}", 2e-6);
            }
        }
    }

    private sealed record AddCase(NormLayout Layout, bool OutputOverX) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            var (grid, block) = LaunchOf(Layout);
            foreach ((int rows, int cols) in Shapes)
            {
                T[] x = Samples.Uniform<T>(rows * cols, seed: rows + 31 * cols), residual = Samples.Uniform<T>(rows * cols, seed: rows + 37 * cols);
                T[] w = Samples.Uniform<T>(cols, seed: cols + 1, low: 0.5f, high: 1.5f);
                T[] expectedResidual = x.Zip(residual, (a, b) => Values.Round<T>(Values.ToDouble(a) + Values.ToDouble(b))).ToArray();
                double[] expected = Float64Reference.RmsNorm<T>(expectedResidual, w, cols, 1e-6);
                using var dx = new AlignedArray<T>(x, 0);
                using var dr = new AlignedArray<T>(residual, 0);
                using var dw = new AlignedArray<T>(w, 0);
                using var dy = new AlignedArray<T>(new T[x.Length], 0);
                Span<T> y = OutputOverX ? dx.Span : dy.Span;
                Emulator.AddRmsNorm<T>(dx.Span, dr.Span, dw.Span, y, rows, cols, 1e-6f, Layout, grid, block);
                string context = $"{Layout} rows={rows} cols={cols} y==x:{OutputOverX}";
                Compare.Bitwise<T>(dr.Span, expectedResidual, context + " residual");
                Compare.Near<T>(y, expected, 1, context, 2e-6);
            }
        }
    }
}
