namespace Kernels.Cuda;

/// <summary>
/// The grid, block and dynamic shared memory of one kernel launch (CUDA's <c>&lt;&lt;&lt;grid, block, shared&gt;&gt;&gt;</c>).
/// <see cref="Validate"/> applies CUDA's limits before anything is launched.
/// </summary>
/// <param name="Grid">Blocks per dimension: x 1..2^31-1, y and z 1..65535.</param>
/// <param name="Block">Threads per dimension: x and y 1..1024, z 1..64, at most the kernel's maximum in total.</param>
/// <param name="DynamicSharedBytes">Dynamic shared memory per block, at most the device's per-block maximum.</param>
public readonly record struct CudaLaunchShape((uint X, uint Y, uint Z) Grid, (uint X, uint Y, uint Z) Block, uint DynamicSharedBytes = 0)
{
    /// <summary>A one-dimensional launch.</summary>
    public static CudaLaunchShape Linear(uint blocks, uint threadsPerBlock, uint dynamicSharedBytes = 0) =>
        new((blocks, 1, 1), (threadsPerBlock, 1, 1), dynamicSharedBytes);

    /// <summary>Threads per block.</summary>
    public ulong ThreadsPerBlock => (ulong)Block.X * Block.Y * Block.Z;

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> (parameter <paramref name="parameterName"/>) when the shape
    /// breaks CUDA's limits, the kernel's <paramref name="maxThreadsPerBlock"/> or the device's
    /// <paramref name="maxDynamicSharedBytes"/>; the message says which limit.
    /// </summary>
    public void Validate(int maxThreadsPerBlock, int maxDynamicSharedBytes, string parameterName = "shape")
    {
        string? problem =
            Grid.X == 0 || Grid.Y == 0 || Grid.Z == 0 ? $"grid ({Grid.X}, {Grid.Y}, {Grid.Z}) has an empty dimension"
            : Grid.X > int.MaxValue || Grid.Y > 65535 || Grid.Z > 65535 ? $"grid ({Grid.X}, {Grid.Y}, {Grid.Z}) exceeds (2^31-1, 65535, 65535)"
            : Block.X == 0 || Block.Y == 0 || Block.Z == 0 ? $"block ({Block.X}, {Block.Y}, {Block.Z}) has an empty dimension"
            : Block.X > 1024 || Block.Y > 1024 || Block.Z > 64 ? $"block ({Block.X}, {Block.Y}, {Block.Z}) exceeds (1024, 1024, 64)"
            : ThreadsPerBlock > (ulong)maxThreadsPerBlock ? $"{ThreadsPerBlock} threads per block exceed the kernel's maximum of {maxThreadsPerBlock}"
            : DynamicSharedBytes > (uint)maxDynamicSharedBytes ? $"{DynamicSharedBytes} bytes of dynamic shared memory exceed the device's {maxDynamicSharedBytes} per block"
            : null;
        if (problem != null)
            throw new ArgumentOutOfRangeException(parameterName, this, problem);
    }
}
