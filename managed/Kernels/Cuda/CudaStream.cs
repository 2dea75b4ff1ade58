using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>A non-blocking CUDA stream: work queued on it runs in order, concurrently with other streams.</summary>
public sealed unsafe class CudaStream : IDisposable
{
    private const uint NonBlocking = 1; // CU_STREAM_NON_BLOCKING: no implicit synchronisation with the legacy stream
    private void* _handle;

    private CudaStream(CudaDevice device, void* handle)
    {
        Device = device;
        _handle = handle;
    }

    /// <summary>The device the stream runs on.</summary>
    public CudaDevice Device { get; }

    internal void* Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle == null, this);
            return _handle;
        }
    }

    /// <summary>Creates a stream on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    public static CudaStream Create(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.MakeCurrent();
        void* handle;
        CudaDriver.Check(CudaDriverMethods.cuStreamCreate(&handle, NonBlocking), "cuStreamCreate");
        return new CudaStream(device, handle);
    }

    /// <summary>Waits until all work queued so far has finished.</summary>
    public void Synchronize()
    {
        void* handle = Handle;
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriverMethods.cuStreamSynchronize(handle), "cuStreamSynchronize");
    }

    /// <summary>Destroys the stream (queued work still completes).</summary>
    public void Dispose()
    {
        if (_handle == null)
            return;
        Device.MakeCurrent();
        CudaDriverMethods.cuStreamDestroy_v2(_handle);
        _handle = null;
    }
}
