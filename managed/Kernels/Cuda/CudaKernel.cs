using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// One kernel of a loaded <see cref="CudaModule"/>. The kernels of cuda/ take a single POD struct by value; its C#
/// mirror is passed to <see cref="Launch{TArgs}"/> as the argument block, which stays on the caller's stack: a launch
/// allocates nothing and boxes nothing.
/// </summary>
public sealed unsafe class CudaKernel
{
    private readonly void* _function;

    internal CudaKernel(CudaModule module, string nameExpression, void* function, int maxThreadsPerBlock)
    {
        Module = module;
        NameExpression = nameExpression;
        _function = function;
        MaxThreadsPerBlock = maxThreadsPerBlock;
    }

    /// <summary>The module holding the kernel.</summary>
    public CudaModule Module { get; }
    /// <summary>The name expression it was looked up by.</summary>
    public string NameExpression { get; }
    /// <summary>The most threads per block this kernel can launch with (its registers and __launch_bounds__ decide).</summary>
    public int MaxThreadsPerBlock { get; }

    /// <summary>
    /// Queues the kernel on <paramref name="stream"/> with <paramref name="arguments"/> as its one parameter. The shape is
    /// validated against CUDA's limits, the kernel's and the device's before anything is queued.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> belongs to another device.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="shape"/> breaks a limit (the message says which).</exception>
    /// <exception cref="ObjectDisposedException">The module or the stream was disposed.</exception>
    public void Launch<TArgs>(CudaStream stream, CudaLaunchShape shape, TArgs arguments) where TArgs : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        Module.Device.RequireSame(stream.Device, nameof(stream));
        shape.Validate(MaxThreadsPerBlock, Module.Device.MaxSharedMemoryPerBlock, nameof(shape));
        _ = Module.Handle; // throws once the module is unloaded: the function handle died with it
        void* streamHandle = stream.Handle;
        Module.Device.MakeCurrent();
        void* parameter = &arguments;
        CudaDriver.Check(
            CudaDriverMethods.cuLaunchKernel(_function, shape.Grid.X, shape.Grid.Y, shape.Grid.Z, shape.Block.X, shape.Block.Y, shape.Block.Z,
                shape.DynamicSharedBytes, streamHandle, &parameter, null),
            $"cuLaunchKernel({NameExpression})");
    }
}
