namespace Kernels.Cuda;

/// <summary>
/// A compilation target: a compute capability (8.0, 9.0, ...) and whether to compile for the virtual
/// architecture (<c>compute_XY</c>, giving PTX the driver compiles at load) or the real one (<c>sm_XY</c>,
/// giving a CUBIN for exactly that GPU generation).
/// </summary>
public readonly record struct CudaArchitecture
{
    /// <summary>Creates a target; <paramref name="major"/> 3..99 and <paramref name="minor"/> 0..9 (NVRTC decides which it supports).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A compute capability outside those ranges.</exception>
    public CudaArchitecture(int major, int minor, bool isVirtual)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(major, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(major, 99);
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minor, 9);
        (Major, Minor, IsVirtual) = (major, minor, isVirtual);
    }

    /// <summary>Compute capability, major part.</summary>
    public int Major { get; }
    /// <summary>Compute capability, minor part.</summary>
    public int Minor { get; }
    /// <summary>True for <c>compute_XY</c> (PTX), false for <c>sm_XY</c> (CUBIN).</summary>
    public bool IsVirtual { get; }

    /// <summary>The virtual architecture compute_XY: NVRTC emits PTX.</summary>
    public static CudaArchitecture Compute(int major, int minor) => new(major, minor, isVirtual: true);

    /// <summary>The real architecture sm_XY: NVRTC emits a CUBIN.</summary>
    public static CudaArchitecture Sm(int major, int minor) => new(major, minor, isVirtual: false);

    /// <summary>The virtual architecture of the same compute capability: PTX the driver compiles for this GPU and newer ones.</summary>
    public CudaArchitecture AsVirtual() => Compute(Major, Minor);

    /// <summary>compute_80, sm_90, ...</summary>
    public string Name => $"{(IsVirtual ? "compute" : "sm")}_{Major}{Minor}";

    /// <summary>The NVRTC option selecting this target.</summary>
    internal string Option => $"--gpu-architecture={Name}";

    /// <inheritdoc/>
    public override string ToString() => Name;
}
