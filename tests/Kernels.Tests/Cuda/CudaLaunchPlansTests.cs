using System.Runtime.CompilerServices;
using Kernels.Cuda;
using Kernels.Tests.Cuda.Emulation;
using Kernels.Tests.Support;
using NUnit.Framework;
using PlannedLayout = Kernels.Cuda.NormLayout;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The launch shapes the device operators use, and the argument blocks they pass: shapes respect the kernels' limits,
/// and the kernels run correctly under the emulator with exactly those shapes (for devices of 1 and 2 multiprocessors,
/// so the grid-stride loops wrap); the C# argument structs have the size of the C++ ones.
/// </summary>
public class CudaLaunchPlansTests
{
    [Test]
    public void ArgumentBlocksHaveTheKernelsStructSizes()
    {
        Assert.That((ulong)Unsafe.SizeOf<ReduceKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_reduce_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<ConvertKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_convert_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<NormKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_norm_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<OneBitKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_onebit_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<OneBitDecompressKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_onebit_decompress_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<TopKKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_topk_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<FeedbackKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_feedback_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<MergeKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_merge_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<LowRankKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_lowrank_args_bytes()));
        Assert.That((ulong)Unsafe.SizeOf<OrthonormalizeKernelArgs>(), Is.EqualTo(EmulatorMethods.kne_orthonormalize_args_bytes()));
    }

    [Test]
    public void WarpShapesStayWithinTheKernelBoundsAndTheGridLimit([Values(0L, 1L, 9L, 1L << 20, 1L << 31)] long items)
    {
        CudaLaunchShape shape = CudaLaunchPlans.Warps(items, multiprocessors: 132);
        shape.Validate((int)CudaLaunchPlans.ElementwiseThreads, 0);
        Assert.That(shape.Block.X % 32, Is.Zero, "whole warps: the kernels' ballots and shuffles name all 32 lanes");
        Assert.That(shape.Grid.X, Is.InRange(1u, 132u * 8));
        if (items <= 132 * 8 * 8)
            Assert.That(shape.Grid.X * shape.Block.X / 32, Is.GreaterThanOrEqualTo((ulong)items), "one warp per item while the grid allows");
    }

    [Test]
    public void TopKWorkspaceMatchesTheKernels([Values(1, 1023, 1024, 1025, 1 << 20)] int count)
        => Assert.That((ulong)CudaTopK.WorkspaceWords(count), Is.EqualTo(EmulatorMethods.kne_topk_workspace_words((ulong)count)));

    [Test]
    public void ElementwiseShapesStayWithinTheKernelBoundsAndTheGridLimit([Values(1L, 7L, 2048L, 1L << 20, 1L << 34)] long count)
    {
        CudaLaunchShape shape = CudaLaunchPlans.Elementwise(count, multiprocessors: 132);
        shape.Validate((int)CudaLaunchPlans.ElementwiseThreads, 0);
        Assert.That(shape.Grid.X, Is.InRange(1u, 132u * 8));
        Assert.That((ulong)shape.Grid.X * shape.Block.X * 8, Is.GreaterThanOrEqualTo((ulong)Math.Min(count, 132L * 8 * 256 * 8)));
    }

    [Test]
    public void NarrowRowsGetAWarpEachAndWideRowsABlock(
        [Values(1L, 1024L, 1025L, 4096L, 8192L, 65536L)] long cols, [Values(1L, 33L, 100_000L)] long rows)
    {
        var (layout, shape) = CudaLaunchPlans.Norm(rows, cols, multiprocessors: 108);
        Assert.That(layout, Is.EqualTo(cols <= CudaLaunchPlans.WarpPerRowMaxCols ? PlannedLayout.WarpPerRow : PlannedLayout.BlockPerRow));
        shape.Validate(layout == PlannedLayout.WarpPerRow ? 256 : 1024, 48 * 1024);
        Assert.That(shape.Block.X % 32, Is.Zero, "the norm kernels need whole warps");
        if (layout == PlannedLayout.BlockPerRow)
            Assert.That(shape.DynamicSharedBytes, Is.EqualTo(shape.Block.X / 32 * 4), "one float per warp");
    }

    [Test]
    public void ElementwiseKernelsAreCorrectWithPlannedShapes([Values(1, 2)] int multiprocessors, [Values(1, 1025, 100_003)] int count)
    {
        CudaLaunchShape shape = CudaLaunchPlans.Elementwise(count, multiprocessors);
        Half[] a = Samples.Uniform<Half>(count, 1), b = Samples.Uniform<Half>(count, 2), expected = new Half[count], actual = new Half[count];
        Reduce.Combine<Half>(a, b, expected, ReduceOp.Sum, 0.5f);
        Emulator.Reduce<Half>(a, b, actual, ReduceOp.Sum, 0.5f, shape.Grid.X, shape.Block.X);
        Compare.Bitwise<Half>(actual, expected, $"planned {shape} on {multiprocessors} SMs");
    }

    [Test]
    public void NormKernelsAreCorrectWithPlannedShapes([Values(1, 2)] int multiprocessors,
        [Values(new[] { 40, 96 }, new[] { 3, 1024 }, new[] { 3, 1032 }, new[] { 2, 8200 })] int[] shape)
    {
        (int rows, int cols) = (shape[0], shape[1]);
        var (layout, launch) = CudaLaunchPlans.Norm(rows, cols, multiprocessors);
        BFloat16[] x = Samples.Uniform<BFloat16>(rows * cols, 3), residual = Samples.Uniform<BFloat16>(rows * cols, 4);
        BFloat16[] w = Samples.Uniform<BFloat16>(cols, 5, low: 0.5f, high: 1.5f), y = new BFloat16[x.Length];
        BFloat16[] expectedResidual = x.Zip(residual, (p, q) => Values.Round<BFloat16>(Values.ToDouble(p) + Values.ToDouble(q))).ToArray();
        Emulator.AddRmsNorm<BFloat16>(x, residual, w, y, rows, cols, 1e-6f,
            layout == PlannedLayout.WarpPerRow ? NormLayout.WarpPerRow : NormLayout.BlockPerRow, launch.Grid.X, launch.Block.X);
        Compare.Bitwise<BFloat16>(residual, expectedResidual, $"{layout} {launch} residual");
        Compare.Near<BFloat16>(y, Float64Reference.RmsNorm<BFloat16>(expectedResidual, w, cols, 1e-6), 1, $"{layout} {launch}", 2e-6);
    }
}
