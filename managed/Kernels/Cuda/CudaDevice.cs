using System.Text;
using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// A CUDA device with its primary context retained for the lifetime of this object. Properties are read once at
/// <see cref="Open"/>.
/// </summary>
public sealed unsafe class CudaDevice : IDisposable
{
    private void* _context;
    private readonly Lazy<CudaKernelCache> _kernels;

    private CudaDevice(int ordinal, int handle, void* context)
    {
        Ordinal = ordinal;
        _context = context;
        _kernels = new Lazy<CudaKernelCache>(() => new CudaKernelCache(this));
        Name = ReadName(handle);
        ComputeCapability = CudaArchitecture.Sm(
            Attribute(handle, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
            Attribute(handle, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR));
        MultiprocessorCount = Attribute(handle, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        MaxSharedMemoryPerBlock = Attribute(handle, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK);
        nuint bytes;
        CudaDriver.Check(CudaDriverMethods.cuDeviceTotalMem_v2(&bytes, handle), "cuDeviceTotalMem");
        TotalMemoryBytes = (long)bytes;
        Handle = handle;
    }

    /// <summary>The ordinal passed to <see cref="Open"/>.</summary>
    public int Ordinal { get; }
    /// <summary>The driver's name for the device.</summary>
    public string Name { get; }
    /// <summary>Compute capability as the real architecture (sm_XY) kernels are compiled for.</summary>
    public CudaArchitecture ComputeCapability { get; }
    /// <summary>Number of streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; }
    /// <summary>Device memory in bytes.</summary>
    public long TotalMemoryBytes { get; }
    /// <summary>Shared memory a block may use without opting in to more (48 KiB on current GPUs).</summary>
    public int MaxSharedMemoryPerBlock { get; }

    internal int Handle { get; }

    /// <summary>The kernels of cuda/ compiled and loaded for this device (on first use).</summary>
    internal CudaKernelCache Kernels
    {
        get
        {
            ObjectDisposedException.ThrowIf(_context == null, this);
            return _kernels.Value;
        }
    }

    /// <summary>Number of CUDA devices.</summary>
    /// <exception cref="CudaUnavailableException">No driver, or the driver reports no device.</exception>
    public static int Count
    {
        get
        {
            CudaDriver.EnsureInitialized();
            int count;
            CudaDriver.Check(CudaDriverMethods.cuDeviceGetCount(&count), "cuDeviceGetCount");
            return count;
        }
    }

    /// <summary>Opens device <paramref name="ordinal"/> and retains its primary context.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ordinal"/> is negative.</exception>
    /// <exception cref="CudaUnavailableException">
    /// No driver (<see cref="CudaComponent.Driver"/>), or no device with that ordinal (<see cref="CudaComponent.Device"/>).
    /// </exception>
    public static CudaDevice Open(int ordinal)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        int count = Count;
        if (ordinal >= count)
            throw new CudaUnavailableException(CudaComponent.Device, $"no device: ordinal {ordinal} requested, {count} device(s) present");
        int handle;
        CudaDriver.Check(CudaDriverMethods.cuDeviceGet(&handle, ordinal), "cuDeviceGet");
        void* context;
        CudaDriver.Check(CudaDriverMethods.cuDevicePrimaryCtxRetain(&context, handle), "cuDevicePrimaryCtxRetain");
        try
        {
            return new CudaDevice(ordinal, handle, context);
        }
        catch
        {
            CudaDriverMethods.cuDevicePrimaryCtxRelease_v2(handle);
            throw;
        }
    }

    /// <summary>Unloads the kernels loaded for this device and releases the primary context retained by <see cref="Open"/>.</summary>
    public void Dispose()
    {
        if (_context == null)
            return;
        if (_kernels.IsValueCreated)
            _kernels.Value.Dispose();
        _context = null;
        CudaDriverMethods.cuDevicePrimaryCtxRelease_v2(Handle);
    }

    /// <summary>Makes this device's primary context current on the calling thread (the driver API works on the current context).</summary>
    /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
    internal void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_context == null, this);
        CudaDriver.Check(CudaDriverMethods.cuCtxSetCurrent(_context), "cuCtxSetCurrent");
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming <paramref name="parameterName"/> when a resource belongs to another device.</summary>
    internal void RequireSame(CudaDevice other, string parameterName)
    {
        if (!ReferenceEquals(this, other))
            throw new ArgumentException($"belongs to device {other.Ordinal} ({other.Name}) opened separately, not to this device {Ordinal}", parameterName);
    }

    private static int Attribute(int handle, CUdevice_attribute attribute)
    {
        int value;
        CudaDriver.Check(CudaDriverMethods.cuDeviceGetAttribute(&value, attribute, handle), $"cuDeviceGetAttribute({attribute})");
        return value;
    }

    private static string ReadName(int handle)
    {
        byte* name = stackalloc byte[256];
        CudaDriver.Check(CudaDriverMethods.cuDeviceGetName(name, 256, handle), "cuDeviceGetName");
        return Encoding.UTF8.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0) is var n and >= 0 ? n : 256);
    }
}
