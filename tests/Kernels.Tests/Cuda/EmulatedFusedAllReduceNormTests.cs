using Kernels.Tests.Cuda.Emulation;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// cuda/fused_allreduce_norm.cu on 2-4 emulated GPUs running concurrently (one OS thread each, peer workspaces in host
/// memory), one-shot and two-shot, against the float64 reference of AllReduce(Sum) followed by add + RMSNorm.
/// Inputs are quantised so the fp32 sum over ranks is exact: the updated residual then has one correct value in T,
/// checked bit for bit; y is checked with the RMSNorm tests' tolerance.
/// </summary>
public class EmulatedFusedAllReduceNormTests
{
    /// <summary>Odd row counts (fewer rows than ranks or blocks included), hidden sizes 1, 7, 96 and 4096.</summary>
    private static readonly (int Rows, int Cols)[] Shapes = [(1, 1), (3, 7), (5, 96), (3, 4096), (7, 33)];

    private const uint Grid = 3, Block = 64;

    [Test]
    public void MatchesAllReduceThenAddRmsNorm([Values] Storage storage, [Values] FusedAlgorithm algorithm, [Values(2, 3, 4)] int world,
        [Values] bool aligned)
        => storage.Run(new FusedCase(algorithm, world, Launches: 1, aligned));

    [Test]
    public void RepeatedLaunchesReuseTheFlagsWithNewEpochs([Values] FusedAlgorithm algorithm)
        => Storage.F32.Run(new FusedCase(algorithm, World: 3, Launches: 3, Aligned: true));

    [Test]
    public void EveryRankGetsTheSameBits([Values] FusedAlgorithm algorithm, [Values(257, 264)] int cols)
    {
        const int world = 4, rows = 9;
        var (x, residual, weight) = Inputs<float>(world, rows, cols, seed: 5);
        float[][] y = Enumerable.Range(0, world).Select(_ => new float[rows * cols]).ToArray();
        Assert.That(Emulator.FusedAllReduceNorm(algorithm, x, residual, weight, y, rows, cols, 1e-6f, Grid, 128), Is.All.EqualTo(0u));
        for (int r = 1; r < world; r++)
        {
            Compare.Bitwise<float>(y[r], y[0], $"{algorithm} y rank {r} vs rank 0");
            Compare.Bitwise<float>(residual[r], residual[0], $"{algorithm} residual rank {r} vs rank 0");
        }
    }

    [Test]
    public void DeadPeerEndsTheLaunchWithItsRankInsteadOfHanging([Values] FusedAlgorithm algorithm)
    {
        const int world = 3, rows = 4, cols = 8;
        var (x, residual, weight) = Inputs<float>(world, rows, cols, seed: 9);
        float[][] y = Enumerable.Range(0, world).Select(_ => new float[rows * cols]).ToArray();
        // Rank 2 never launches; ranks 0 and 1 each give up on it.
        uint[] status = Emulator.FusedAllReduceNorm(algorithm, x, residual, weight, y, rows, cols, 1e-6f, 2, 32, runMask: 0b011, timeoutPolls: 200);
        Assert.That(status[0], Is.EqualTo(3u), "rank 0 names rank 2 (status = 1 + rank)");
        Assert.That(status[1], Is.EqualTo(3u), "rank 1 names rank 2");
    }

    [Test]
    public void GridBeyondTheFlagSlotsIsRefused()
    {
        var (x, residual, weight) = Inputs<float>(2, 1, 1, seed: 1);
        float[][] y = [new float[1], new float[1]];
        var error = Assert.Throws<EmulatedLaunchException>(() =>
            Emulator.FusedAllReduceNorm(FusedAlgorithm.OneShot, x, residual, weight, y, 1, 1, 1e-6f, 129, 32))!;
        Assert.That(error.Message, Does.Contain("grid_x = 129"));
    }

    [Test]
    public void BlockBeyondTheLaunchBoundIsRefused()
    {
        var (x, residual, weight) = Inputs<float>(2, 1, 1, seed: 1);
        float[][] y = [new float[1], new float[1]];
        var error = Assert.Throws<EmulatedLaunchException>(() =>
            Emulator.FusedAllReduceNorm(FusedAlgorithm.TwoShot, x, residual, weight, y, 1, 1, 1e-6f, 1, 512))!;
        Assert.That(error.Message, Does.Contain("block_x = 512"));
    }

    [Test]
    public void ArgumentStructMatchesItsCSharpMirror() =>
        Assert.That((ulong)System.Runtime.CompilerServices.Unsafe.SizeOf<Kernels.Cuda.FusedNormKernelArgs>(),
            Is.EqualTo(EmulatorMethods.kne_fused_norm_args_bytes()));

    /// <summary>
    /// Per-rank x quantised to a grid whose sums over 4 ranks are exact in fp32 (2^-10 for f32, 2^-6 for f16, 2^-5 for
    /// bf16, all within [-4, 4]); the residual (the same on every rank) and the weight are arbitrary values of T.
    /// </summary>
    private static (T[][] X, T[][] Residual, T[] Weight) Inputs<T>(int world, int rows, int cols, int seed) where T : unmanaged
    {
        double step = typeof(T) == typeof(float) ? 1.0 / 1024 : typeof(T) == typeof(Half) ? 1.0 / 64 : 1.0 / 32;
        T[][] x = Enumerable.Range(0, world).Select(r => Samples.Uniform<float>(rows * cols, seed + 101 * r)
            .Select(v => Values.Round<T>(Math.Round(v / step) * step)).ToArray()).ToArray();
        T[] residual = Samples.Uniform<T>(rows * cols, seed + 7);
        T[] weight = Samples.Uniform<T>(cols, seed + 3, low: 0.5f, high: 1.5f);
        return (x, Enumerable.Range(0, world).Select(_ => (T[])residual.Clone()).ToArray(), weight);
    }

    /// <summary><paramref name="Aligned"/>: 16-byte aligned buffers (the 128-bit path for hidden 96 and 4096) or one element off.</summary>
    private sealed record FusedCase(FusedAlgorithm Algorithm, int World, uint Launches, bool Aligned) : IStorageTest
    {
        public void Run<T>() where T : unmanaged
        {
            foreach ((int rows, int cols) in Shapes)
            {
                var (x, residual, weight) = Inputs<T>(World, rows, cols, seed: rows * 31 + cols + World);
                T[] expectedResidual = (T[])residual[0].Clone();
                double[] expectedY = [];
                for (uint launch = 0; launch < Launches; launch++)
                {
                    for (int i = 0; i < expectedResidual.Length; i++)
                    {
                        double sum = 0;
                        for (int r = 0; r < World; r++)
                            sum += Values.ToDouble(x[r][i]);
                        expectedResidual[i] = Values.Round<T>(Values.ToDouble(Values.Round<T>(sum)) + Values.ToDouble(expectedResidual[i]));
                    }
                    expectedY = Float64Reference.RmsNorm<T>(expectedResidual, weight, cols, 1e-6);
                }
                T[][] y = Enumerable.Range(0, World).Select(_ => new T[rows * cols]).ToArray();
                uint[] status = Emulator.FusedAllReduceNorm(Algorithm, x, residual, weight, y, rows, cols, 1e-6f, Grid, Block, Launches, aligned: Aligned);
                string context = $"{Algorithm} world={World} rows={rows} cols={cols} launches={Launches} aligned={Aligned}";
                Assert.That(status, Is.All.EqualTo(0u), context + " status");
                for (int r = 0; r < World; r++)
                {
                    Compare.Bitwise<T>(residual[r], expectedResidual, $"{context} rank {r} residual");
                    Compare.Near<T>(y[r], expectedY, 1, $"{context} rank {r} y", 2e-6);
                }
            }
        }
    }
}
