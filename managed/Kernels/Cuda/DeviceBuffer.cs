using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// Device memory for <see cref="Length"/> elements of <typeparamref name="T"/>, with synchronous copies from and to
/// host spans and copies queued on a stream from and to <see cref="PinnedHostBuffer{T}"/> staging memory. Lengths,
/// devices and disposal are checked before any copy.
/// </summary>
public sealed unsafe class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    private ulong _pointer;
    private bool _disposed;

    private DeviceBuffer(CudaDevice device, int length, ulong pointer)
    {
        Device = device;
        Length = length;
        _pointer = pointer;
    }

    /// <summary>The device the memory lives on.</summary>
    public CudaDevice Device { get; }
    /// <summary>Number of elements.</summary>
    public int Length { get; }
    /// <summary>Size in bytes.</summary>
    public long Bytes => (long)Length * sizeof(T);

    /// <summary>The device address, for a kernel's argument block.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public ulong Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _pointer;
        }
    }

    /// <summary>Allocates <paramref name="length"/> elements (uninitialised) on <paramref name="device"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static DeviceBuffer<T> Allocate(CudaDevice device, int length)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        device.MakeCurrent();
        ulong pointer = 0;
        if (length > 0)
            CudaDriver.Check(CudaDriverMethods.cuMemAlloc_v2(&pointer, (nuint)((long)length * sizeof(T))), "cuMemAlloc");
        return new DeviceBuffer<T>(device, length, pointer);
    }

    /// <summary>Copies <paramref name="source"/> (exactly <see cref="Length"/> elements) to the device and waits.</summary>
    /// <exception cref="ArgumentException"><paramref name="source"/> has another length.</exception>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        RequireLength(source.Length, nameof(source));
        if (Length == 0)
            return;
        Device.MakeCurrent();
        fixed (T* host = source)
            CudaDriver.Check(CudaDriverMethods.cuMemcpyHtoD_v2(_pointer, host, (nuint)Bytes), "cuMemcpyHtoD");
    }

    /// <summary>Copies the buffer into <paramref name="destination"/> (exactly <see cref="Length"/> elements) and waits.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length.</exception>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public void CopyTo(Span<T> destination)
    {
        RequireLength(destination.Length, nameof(destination));
        if (Length == 0)
            return;
        Device.MakeCurrent();
        fixed (T* host = destination)
            CudaDriver.Check(CudaDriverMethods.cuMemcpyDtoH_v2(host, _pointer, (nuint)Bytes), "cuMemcpyDtoH");
    }

    /// <summary>
    /// Queues the copy of <paramref name="source"/> (exactly <see cref="Length"/> elements) to the device on
    /// <paramref name="stream"/> and returns at once; <paramref name="source"/> must not change until the stream has passed it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="source"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="source"/> has another length, or <paramref name="stream"/> is on another device.</exception>
    /// <exception cref="ObjectDisposedException">The buffer, <paramref name="source"/> or <paramref name="stream"/> was disposed.</exception>
    public void CopyFrom(PinnedHostBuffer<T> source, CudaStream stream)
    {
        void* handle = QueuedCopyChecks(source, stream, nameof(source));
        if (Length == 0)
            return;
        CudaDriver.Check(CudaDriverMethods.cuMemcpyHtoDAsync_v2(_pointer, source.Pointer, (nuint)Bytes, handle), "cuMemcpyHtoDAsync");
    }

    /// <summary>
    /// Queues the copy of the buffer into <paramref name="destination"/> (exactly <see cref="Length"/> elements) on
    /// <paramref name="stream"/> and returns at once; read <paramref name="destination"/> after the stream has passed it.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="destination"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> has another length, or <paramref name="stream"/> is on another device.</exception>
    /// <exception cref="ObjectDisposedException">The buffer, <paramref name="destination"/> or <paramref name="stream"/> was disposed.</exception>
    public void CopyTo(PinnedHostBuffer<T> destination, CudaStream stream)
    {
        void* handle = QueuedCopyChecks(destination, stream, nameof(destination));
        if (Length == 0)
            return;
        CudaDriver.Check(CudaDriverMethods.cuMemcpyDtoHAsync_v2(destination.Pointer, _pointer, (nuint)Bytes, handle), "cuMemcpyDtoHAsync");
    }

    /// <summary>Frees the device memory.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_pointer != 0)
        {
            Device.MakeCurrent();
            CudaDriverMethods.cuMemFree_v2(_pointer);
            _pointer = 0;
        }
    }

    /// <summary>Argument checks first (null, length), then disposal and the stream's device; returns the stream handle with
    /// this buffer's context current.</summary>
    private void* QueuedCopyChecks(PinnedHostBuffer<T> host, CudaStream stream, string hostName)
    {
        ArgumentNullException.ThrowIfNull(host, hostName);
        ArgumentNullException.ThrowIfNull(stream);
        RequireLength(host.Length, hostName);
        _ = host.Pointer; // throws once the staging memory is freed
        Device.RequireSame(stream.Device, nameof(stream));
        void* handle = stream.Handle;
        Device.MakeCurrent();
        return handle;
    }

    private void RequireLength(int length, string parameterName)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (length != Length)
            throw new ArgumentException($"has {length} elements; the device buffer has {Length}", parameterName);
    }
}
