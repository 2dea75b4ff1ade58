namespace Kernels.Cuda;

/// <summary>The piece of a CUDA installation that an operation needed and did not find.</summary>
public enum CudaComponent
{
    /// <summary>The driver library (<c>libcuda.so.1</c>) is missing, or <c>cuInit</c> failed for a reason other than "no device".</summary>
    Driver,
    /// <summary>The driver loaded but reports no CUDA device (or not the requested one).</summary>
    Device,
    /// <summary>The run-time compiler (<c>libnvrtc.so.13</c>, <c>.12</c> or <c>.11.2</c>) is missing.</summary>
    Nvrtc,
    /// <summary>NCCL (<c>libnccl.so.2</c>) is missing: only <see cref="NcclCommunicator"/> needs it.</summary>
    Nccl,
}
