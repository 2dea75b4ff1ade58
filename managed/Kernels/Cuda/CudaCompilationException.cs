namespace Kernels.Cuda;

/// <summary>NVRTC rejected a program; <see cref="Log"/> is its complete compile log (also part of the message).</summary>
public sealed class CudaCompilationException : Exception
{
    /// <summary>Creates the exception for <paramref name="program"/> compiled for <paramref name="architecture"/>.</summary>
    public CudaCompilationException(string program, CudaArchitecture architecture, string result, string log)
        : base($"NVRTC could not compile {program} for {architecture} ({result}):{Environment.NewLine}{log}")
    {
        Log = log;
    }

    /// <summary>NVRTC's compile log.</summary>
    public string Log { get; }
}
