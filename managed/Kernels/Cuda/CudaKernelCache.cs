namespace Kernels.Cuda;

/// <summary>
/// The kernels of cuda/ on one device: each program compiled once for the device's architecture (through the shared
/// <see cref="NvrtcCompiler"/> and its disk cache), loaded once, each kernel looked up once. Owned by the device.
/// </summary>
internal sealed class CudaKernelCache(CudaDevice device) : IDisposable
{
    private static readonly Lazy<NvrtcCompiler> SharedCompiler = new(() => new NvrtcCompiler());

    private readonly Dictionary<string, CudaModule> _modules = [];
    private readonly Dictionary<string, CudaKernel> _kernels = [];
    private readonly Lock _lock = new();

    /// <summary>The kernel <paramref name="nameExpression"/> of <paramref name="program"/>, compiled and loaded on first use.</summary>
    internal CudaKernel Get(CudaProgramSource program, string nameExpression)
    {
        lock (_lock)
        {
            string key = program.Name + "\n" + nameExpression;
            if (_kernels.TryGetValue(key, out CudaKernel? kernel))
                return kernel;
            if (!_modules.TryGetValue(program.Name, out CudaModule? module))
            {
                // PTX for the device's own compute capability: the driver finishes it for exactly this GPU.
                CompiledProgram compiled = SharedCompiler.Value.Compile(program, device.ComputeCapability.AsVirtual());
                module = CudaModule.Load(device, compiled);
                _modules.Add(program.Name, module);
            }
            kernel = module.GetKernel(nameExpression);
            _kernels.Add(key, kernel);
            return kernel;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (CudaModule module in _modules.Values)
                module.Dispose();
            _modules.Clear();
            _kernels.Clear();
        }
    }
}
