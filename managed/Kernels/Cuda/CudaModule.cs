using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>A <see cref="CompiledProgram"/> loaded on a device; hands out its kernels by name expression.</summary>
public sealed unsafe class CudaModule : IDisposable
{
    private readonly IReadOnlyDictionary<string, string> _loweredNames;
    private void* _handle;

    private CudaModule(CudaDevice device, void* handle, IReadOnlyDictionary<string, string> loweredNames)
    {
        Device = device;
        _handle = handle;
        _loweredNames = loweredNames;
    }

    /// <summary>The device the module is loaded on.</summary>
    public CudaDevice Device { get; }

    internal void* Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle == null, this);
            return _handle;
        }
    }

    /// <summary>Loads <paramref name="program"/> (PTX is compiled by the driver for this device, a CUBIN must match it).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">The driver rejected the image (e.g. a CUBIN for another architecture); the message has the driver's reason.</exception>
    public static CudaModule Load(CudaDevice device, CompiledProgram program)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(program);
        device.MakeCurrent();
        void* handle;
        fixed (byte* image = program.Image)
            CudaDriver.Check(CudaDriverMethods.cuModuleLoadData(&handle, image), $"cuModuleLoadData ({program.Kind} for {device.ComputeCapability})");
        return new CudaModule(device, handle, program.LoweredNames);
    }

    /// <summary>The kernel a name expression of the program instantiated.</summary>
    /// <exception cref="ArgumentException">The program was not compiled with that name expression.</exception>
    public CudaKernel GetKernel(string nameExpression)
    {
        ArgumentNullException.ThrowIfNull(nameExpression);
        if (!_loweredNames.TryGetValue(nameExpression, out string? lowered))
            throw new ArgumentException($"'{nameExpression}' is not one of the program's name expressions", nameof(nameExpression));
        void* module = Handle;
        Device.MakeCurrent();
        void* function;
        byte[] name = System.Text.Encoding.UTF8.GetBytes(lowered + "\0");
        fixed (byte* p = name)
            CudaDriver.Check(CudaDriverMethods.cuModuleGetFunction(&function, module, p), $"cuModuleGetFunction({nameExpression})");
        int maxThreads;
        CudaDriver.Check(CudaDriverMethods.cuFuncGetAttribute(&maxThreads, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, function),
            "cuFuncGetAttribute(MAX_THREADS_PER_BLOCK)");
        return new CudaKernel(this, nameExpression, function, maxThreads);
    }

    /// <summary>Unloads the module; its kernels can no longer be launched.</summary>
    public void Dispose()
    {
        if (_handle == null)
            return;
        Device.MakeCurrent();
        CudaDriverMethods.cuModuleUnload(_handle);
        _handle = null;
    }
}
