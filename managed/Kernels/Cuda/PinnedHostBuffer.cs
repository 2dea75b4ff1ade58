using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// Page-locked host memory for <see cref="Length"/> elements of <typeparamref name="T"/> (cuMemHostAlloc, portable to
/// every context): the staging buffer for copies queued on a stream (<see cref="DeviceBuffer{T}.CopyFrom(PinnedHostBuffer{T}, CudaStream)"/>),
/// which the GPU's copy engines read and write directly while the host goes on. Managed memory cannot serve: the
/// garbage collector may move it while a queued copy is in flight.
/// </summary>
public sealed unsafe class PinnedHostBuffer<T> : IDisposable where T : unmanaged
{
    private const uint Portable = 1; // CU_MEMHOSTALLOC_PORTABLE: pinned for every context, not only the allocating one
    private T* _pointer;

    private PinnedHostBuffer(CudaDevice device, T* pointer, int length)
    {
        Device = device;
        _pointer = pointer;
        Length = length;
    }

    /// <summary>The device whose context allocated the memory (it stays usable from every context).</summary>
    public CudaDevice Device { get; }
    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>The memory. Do not touch elements a queued copy reads or writes until its stream has passed it.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public Span<T> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == null && Length > 0, this);
            return new Span<T>(_pointer, Length);
        }
    }

    internal T* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == null && Length > 0, this);
            return _pointer;
        }
    }

    /// <summary>Allocates <paramref name="length"/> elements (uninitialised) of page-locked memory.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="device"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative.</exception>
    public static PinnedHostBuffer<T> Allocate(CudaDevice device, int length)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
            return new PinnedHostBuffer<T>(device, null, 0);
        device.MakeCurrent();
        void* pointer;
        CudaDriver.Check(CudaDriverMethods.cuMemHostAlloc(&pointer, (nuint)((long)length * sizeof(T)), Portable), "cuMemHostAlloc");
        return new PinnedHostBuffer<T>(device, (T*)pointer, length);
    }

    /// <summary>Frees the memory. Queued copies that use it must have completed.</summary>
    public void Dispose()
    {
        if (_pointer == null)
            return;
        Device.MakeCurrent();
        CudaDriverMethods.cuMemFreeHost(_pointer);
        _pointer = null;
    }
}
