using System.Runtime.InteropServices;

namespace Kernels.Cuda;

// C# mirrors of the kernels' argument structs in cuda/*.cu: same fields, same order, device pointers as 64-bit
// addresses, so the struct is the kernel's parameter block byte for byte (a test compares the sizes with the
// emulator build of the same structs).

/// <summary>kn::ReduceArgs (cuda/reduce.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ReduceKernelArgs(ulong A, ulong B, ulong Dst, ulong Count, float Scale);

/// <summary>kn::ConvertArgs (cuda/convert.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ConvertKernelArgs(ulong Src, ulong Dst, ulong Count, float Scale);

/// <summary>kn::NormArgs (cuda/rms_norm.cu); Residual is 0 for rms_norm.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct NormKernelArgs(ulong X, ulong Residual, ulong Weight, ulong Y, ulong Rows, ulong Cols, float Eps);
