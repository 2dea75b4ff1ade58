namespace Kernels.Cuda;

/// <summary>
/// Thrown when CUDA cannot be used on this machine: <see cref="Missing"/> says which piece is absent (driver,
/// device, NVRTC or NCCL) and the message says where the loader looked or what the driver answered.
/// </summary>
public sealed class CudaUnavailableException : Exception
{
    /// <summary>Creates the exception for the missing <paramref name="missing"/> component.</summary>
    public CudaUnavailableException(CudaComponent missing, string message) : base(message) => Missing = missing;

    /// <summary>The component that is missing.</summary>
    public CudaComponent Missing { get; }
}
