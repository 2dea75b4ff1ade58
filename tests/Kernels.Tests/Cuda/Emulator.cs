using System.Runtime.InteropServices;
using Kernels.Tests.Cuda.Emulation;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Calls into libkernels_cuda_emu (cuda/emu/kernels_cuda_emu.h): the CUDA kernels run on the CPU by the emulator,
/// with the grid and block the test chooses. A failed launch becomes an <see cref="EmulatedLaunchException"/> carrying
/// the emulator's message.
/// </summary>
internal static unsafe partial class Emulator
{
    internal static kne_dtype Dtype<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? kne_dtype.KNE_F32
        : typeof(T) == typeof(Half) ? kne_dtype.KNE_F16
        : typeof(T) == typeof(BFloat16) ? kne_dtype.KNE_BF16
        : throw new NotSupportedException(typeof(T).Name);

    internal static kne_reduce_op Op(ReduceOp op) => op switch
    {
        ReduceOp.Sum => kne_reduce_op.KNE_OP_SUM,
        ReduceOp.Max => kne_reduce_op.KNE_OP_MAX,
        ReduceOp.Min => kne_reduce_op.KNE_OP_MIN,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    private static kne_norm_layout Layout(NormLayout layout) =>
        layout == NormLayout.WarpPerRow ? kne_norm_layout.KNE_WARP_PER_ROW : kne_norm_layout.KNE_BLOCK_PER_ROW;

    internal static void Reduce<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> dst, ReduceOp op, float scale, uint grid, uint block)
        where T : unmanaged
    {
        fixed (T* pa = a, pb = b, pd = dst)
            Check(EmulatorMethods.kne_reduce(Dtype<T>(), Op(op), pa, pb, pd, (ulong)dst.Length, scale, grid, block));
    }

    internal static void Accumulate<T>(Span<T> dst, ReadOnlySpan<T> src, ReduceOp op, float scale, uint grid, uint block)
        where T : unmanaged
    {
        fixed (T* pd = dst, ps = src)
            Check(EmulatorMethods.kne_reduce_accumulate(Dtype<T>(), Op(op), pd, ps, (ulong)dst.Length, scale, grid, block));
    }

    internal static void Convert<TFrom, TTo>(ReadOnlySpan<TFrom> src, Span<TTo> dst, float scale, uint grid, uint block)
        where TFrom : unmanaged where TTo : unmanaged
    {
        fixed (TFrom* ps = src)
        fixed (TTo* pd = dst)
            Check(EmulatorMethods.kne_convert(Dtype<TFrom>(), ps, Dtype<TTo>(), pd, (ulong)dst.Length, scale, grid, block));
    }

    internal static void RmsNorm<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> weight, Span<T> y, int rows, int cols, float eps,
        NormLayout layout, uint grid, uint block) where T : unmanaged
    {
        fixed (T* px = x, pw = weight, py = y)
            Check(EmulatorMethods.kne_rms_norm(Dtype<T>(), px, pw, py, (ulong)rows, (ulong)cols, eps, Layout(layout), grid, block));
    }

    internal static void AddRmsNorm<T>(ReadOnlySpan<T> x, Span<T> residual, ReadOnlySpan<T> weight, Span<T> y, int rows, int cols,
        float eps, NormLayout layout, uint grid, uint block) where T : unmanaged
    {
        fixed (T* px = x, pr = residual, pw = weight, py = y)
            Check(EmulatorMethods.kne_add_rms_norm(Dtype<T>(), px, pr, pw, py, (ulong)rows, (ulong)cols, eps, Layout(layout), grid, block));
    }

    /// <summary>Runs a probe kernel; returns its status and message instead of throwing, for the diagnostics tests.</summary>
    internal static (kne_status Status, string Message) Probe(kne_probe probe, int[] output, uint grid, uint block)
    {
        fixed (int* p = output)
        {
            kne_status status = EmulatorMethods.kne_probe_run(probe, p, grid, block);
            return (status, status == kne_status.KNE_OK ? "" : LastError());
        }
    }

    internal static string LastError() => Marshal.PtrToStringUTF8((IntPtr)EmulatorMethods.kne_last_error()) ?? "";

    internal static void Check(kne_status status)
    {
        if (status != kne_status.KNE_OK)
            throw new EmulatedLaunchException($"{status}: {LastError()}");
    }
}

/// <summary>The two RMSNorm kernel layouts, as a test parameter.</summary>
public enum NormLayout { WarpPerRow, BlockPerRow }

/// <summary>The emulator refused or stopped a launch.</summary>
internal sealed class EmulatedLaunchException(string message) : Exception(message);

/// <summary>Launch shapes every emulated kernel runs with: fewer threads than elements (grid-stride loops), one
/// warp, and several blocks of 2-8 warps.</summary>
internal static class LaunchShapes
{
    internal static readonly (uint Grid, uint Block)[] Elementwise = [(1, 32), (3, 64), (2, 256)];
}
