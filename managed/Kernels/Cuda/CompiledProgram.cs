namespace Kernels.Cuda;

/// <summary>What NVRTC produced: PTX for a virtual architecture, CUBIN for a real one.</summary>
public enum CudaImageKind
{
    /// <summary>PTX text (null-terminated), compiled by the driver when the module loads.</summary>
    Ptx,
    /// <summary>A CUBIN for one GPU generation.</summary>
    Cubin,
}

/// <summary>Where a <see cref="CompiledProgram"/> came from.</summary>
public enum CompileOrigin
{
    /// <summary>NVRTC compiled it in this call.</summary>
    Compiled,
    /// <summary>Read from the disk cache (its hash verified).</summary>
    DiskCache,
    /// <summary>Returned from the compiler's in-memory cache.</summary>
    MemoryCache,
}

/// <summary>A compiled CUDA program: the module image, the mangled name of each name expression, and NVRTC's log.</summary>
public sealed record CompiledProgram
{
    /// <summary>The module image, ready for cuModuleLoadData.</summary>
    public required byte[] Image { get; init; }
    /// <summary>PTX or CUBIN.</summary>
    public required CudaImageKind Kind { get; init; }
    /// <summary>Name expression -> lowered (mangled) kernel name, for cuModuleGetFunction.</summary>
    public required IReadOnlyDictionary<string, string> LoweredNames { get; init; }
    /// <summary>NVRTC's log (warnings); empty when it had nothing to say.</summary>
    public required string Log { get; init; }
    /// <summary>Compiled now, or read from a cache.</summary>
    public CompileOrigin Origin { get; init; }
}
