using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Kernels.Cuda.Interop;

namespace Kernels.Cuda;

/// <summary>
/// Compiles CUDA C++ with NVRTC at run time and caches the result in memory and on disk. Options: <c>-std=c++17</c>,
/// the target architecture, <c>--fmad=false</c> (no multiply-add fusion the source does not write, so the GPU
/// computes what the CPU emulator of cuda/emu computes) and <c>-I</c> for the CUDA headers when they are found.
/// The cache key is the SHA-256 of the sources, headers, name expressions, options and NVRTC version.
/// Thread-safe.
/// </summary>
public sealed class NvrtcCompiler
{
    /// <summary>Environment variable naming the default cache folder.</summary>
    public const string CacheDirectoryVariable = "KERNELS_CUDA_CACHE";

    private static readonly Lazy<Version> LoadedVersion = new(() =>
    {
        CudaLibraries.RequireNvrtc();
        return NvrtcProgram.NvrtcVersion();
    });

    private readonly ConcurrentDictionary<string, CompiledProgram> _memory = new();
    private readonly CompiledImageCache _disk;

    /// <summary>
    /// Creates a compiler caching under <paramref name="cacheDirectory"/>; by default <c>$KERNELS_CUDA_CACHE</c>, else
    /// <c>$XDG_CACHE_HOME/kernels/cuda</c>, else <c>~/.cache/kernels/cuda</c>. The folder is created on first write.
    /// </summary>
    public NvrtcCompiler(string? cacheDirectory = null)
    {
        _disk = new CompiledImageCache(Path.GetFullPath(cacheDirectory ?? DefaultCacheDirectory()));
    }

    /// <summary>The disk cache folder.</summary>
    public string CacheDirectory => _disk.Directory;

    /// <summary>The loaded NVRTC's version.</summary>
    /// <exception cref="CudaUnavailableException">NVRTC is not installed.</exception>
    public static Version NvrtcVersion => LoadedVersion.Value;

    /// <summary>
    /// Compiles <paramref name="program"/> for <paramref name="architecture"/>, or returns the cached result
    /// (<see cref="CompiledProgram.Origin"/> says which).
    /// </summary>
    /// <exception cref="CudaUnavailableException">NVRTC is not installed.</exception>
    /// <exception cref="CudaCompilationException">NVRTC rejected the program; the exception holds its log.</exception>
    public CompiledProgram Compile(CudaProgramSource program, CudaArchitecture architecture)
    {
        ArgumentNullException.ThrowIfNull(program);
        CudaLibraries.RequireNvrtc();
        IReadOnlyList<string> options = Options(architecture);
        byte[] key = CacheKey(program, options, NvrtcVersion);
        string keyText = Convert.ToHexString(key);

        if (_memory.TryGetValue(keyText, out CompiledProgram? cached))
            return cached with { Origin = CompileOrigin.MemoryCache };
        CompiledProgram? fromDisk = _disk.TryRead(key);
        if (fromDisk != null)
            return _memory.GetOrAdd(keyText, fromDisk);

        CompiledProgram compiled = CompileNow(program, architecture, options);
        _disk.Write(key, compiled);
        _memory.TryAdd(keyText, compiled);
        return compiled;
    }

    /// <summary>The NVRTC options used for <paramref name="architecture"/>.</summary>
    public static IReadOnlyList<string> Options(CudaArchitecture architecture)
    {
        var options = new List<string> { "-std=c++17", architecture.Option, "--fmad=false" };
        string? include = CudaIncludeDirectory.Find();
        if (include != null)
            options.Add("-I" + include);
        return options;
    }

    private static CompiledProgram CompileNow(CudaProgramSource source, CudaArchitecture architecture, IReadOnlyList<string> options)
    {
        using var program = new NvrtcProgram(source);
        foreach (string expression in source.NameExpressions)
            program.AddNameExpression(expression);
        nvrtcResult result = program.Compile(options);
        string log = program.Log();
        if (result != nvrtcResult.NVRTC_SUCCESS)
            throw new CudaCompilationException(source.Name, architecture, NvrtcProgram.Describe(result), log);
        return new CompiledProgram
        {
            Image = architecture.IsVirtual ? program.Ptx() : program.Cubin(),
            Kind = architecture.IsVirtual ? CudaImageKind.Ptx : CudaImageKind.Cubin,
            LoweredNames = source.NameExpressions.Distinct().ToDictionary(e => e, program.LoweredName),
            Log = log,
            Origin = CompileOrigin.Compiled,
        };
    }

    /// <summary>SHA-256 over length-prefixed fields, so no two different inputs concatenate to the same bytes.</summary>
    internal static byte[] CacheKey(CudaProgramSource program, IReadOnlyList<string> options, Version nvrtcVersion)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string field)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(field);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }

        Add("kernels-nvrtc-cache-1");
        Add(nvrtcVersion.ToString());
        Add(string.Join('\n', options));
        Add(program.Name);
        Add(program.Text);
        foreach (var (name, text) in program.Headers.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            Add(name);
            Add(text);
        }
        foreach (string expression in program.NameExpressions)
            Add(expression);
        return hash.GetHashAndReset();
    }

    private static string DefaultCacheDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable(CacheDirectoryVariable);
        if (!string.IsNullOrEmpty(configured))
            return configured;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "kernels", "cuda");
    }
}
