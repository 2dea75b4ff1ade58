using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>A CUDA event: a point in a stream's work, for waiting and for GPU-side timing.</summary>
public sealed unsafe class CudaEvent : IDisposable
{
    private void* _handle;

    private CudaEvent(CudaDevice device, void* handle)
    {
        Device = device;
        _handle = handle;
    }

    /// <summary>The device the event belongs to.</summary>
    public CudaDevice Device { get; }

    private void* Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle == null, this);
            return _handle;
        }
    }

    /// <summary>Creates an event (with timing) on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    public static CudaEvent Create(CudaDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        device.MakeCurrent();
        void* handle;
        CudaDriver.Check(CudaDriverMethods.cuEventCreate(&handle, 0), "cuEventCreate");
        return new CudaEvent(device, handle);
    }

    /// <summary>Marks the current end of <paramref name="stream"/>'s queued work.</summary>
    /// <exception cref="ArgumentException"><paramref name="stream"/> belongs to another device.</exception>
    public void Record(CudaStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Device.RequireSame(stream.Device, nameof(stream));
        void* handle = Handle;
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriverMethods.cuEventRecord(handle, stream.Handle), "cuEventRecord");
    }

    /// <summary>Waits until the work before the recorded point has finished.</summary>
    public void Synchronize()
    {
        void* handle = Handle;
        Device.MakeCurrent();
        CudaDriver.Check(CudaDriverMethods.cuEventSynchronize(handle), "cuEventSynchronize");
    }

    /// <summary>GPU time in milliseconds between two recorded, completed events of one device.</summary>
    /// <exception cref="ArgumentException">The events belong to different devices.</exception>
    public static float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        start.Device.RequireSame(end.Device, nameof(end));
        float milliseconds;
        start.Device.MakeCurrent();
        CudaDriver.Check(CudaDriverMethods.cuEventElapsedTime(&milliseconds, start.Handle, end.Handle), "cuEventElapsedTime");
        return milliseconds;
    }

    /// <summary>Destroys the event.</summary>
    public void Dispose()
    {
        if (_handle == null)
            return;
        Device.MakeCurrent();
        CudaDriverMethods.cuEventDestroy_v2(_handle);
        _handle = null;
    }
}
