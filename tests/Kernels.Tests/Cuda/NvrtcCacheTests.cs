using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The compile cache: a second compile is a memory hit, a new compiler on the same folder a disk hit with the same
/// image, any change of source, options or name expressions a miss, and a corrupted or truncated file is detected
/// by its hash, recompiled and rewritten. Also: compile errors carry NVRTC's log, and the CUDA include folder is found.
/// </summary>
[NonParallelizable]
public class NvrtcCacheTests
{
    private static readonly CudaArchitecture Target = CudaArchitecture.Compute(8, 0);
    private string _cacheDirectory = "";

    [SetUp]
    public void FreshCache()
    {
        CudaToolchain.RequireNvrtc();
        _cacheDirectory = Directory.CreateTempSubdirectory("kernels-nvrtc-cache-").FullName;
    }

    [TearDown]
    public void RemoveCache() => Directory.Delete(_cacheDirectory, recursive: true);

    private static CudaProgramSource Tiny(string body = "out[threadIdx.x] = 2.0f * out[threadIdx.x];") =>
        new("tiny.cu", $"template <class T> __global__ void scale(T* out) {{ {body} }}", new Dictionary<string, string>(), ["scale<float>"]);

    [Test]
    public void SecondCompileIsAMemoryHitAndANewCompilerReadsTheDisk()
    {
        var compiler = new NvrtcCompiler(_cacheDirectory);
        CompiledProgram first = compiler.Compile(Tiny(), Target);
        CompiledProgram again = compiler.Compile(Tiny(), Target);
        CompiledProgram fromDisk = new NvrtcCompiler(_cacheDirectory).Compile(Tiny(), Target);

        Assert.That(first.Origin, Is.EqualTo(CompileOrigin.Compiled));
        Assert.That(again.Origin, Is.EqualTo(CompileOrigin.MemoryCache));
        Assert.That(fromDisk.Origin, Is.EqualTo(CompileOrigin.DiskCache));
        Assert.That(fromDisk.Image, Is.EqualTo(first.Image));
        Assert.That(fromDisk.LoweredNames, Is.EqualTo(first.LoweredNames));
        Assert.That(first.LoweredNames["scale<float>"], Is.EqualTo("_Z5scaleIfEvPT_"));
        Assert.That(Directory.GetFiles(_cacheDirectory, "*.kncu"), Has.Length.EqualTo(1));
    }

    [Test]
    public void SourceArchitectureAndNameExpressionsAreAllPartOfTheKey()
    {
        var compiler = new NvrtcCompiler(_cacheDirectory);
        compiler.Compile(Tiny(), Target);
        Assert.That(compiler.Compile(Tiny("out[threadIdx.x] = 3.0f;"), Target).Origin, Is.EqualTo(CompileOrigin.Compiled));
        Assert.That(compiler.Compile(Tiny(), CudaArchitecture.Compute(9, 0)).Origin, Is.EqualTo(CompileOrigin.Compiled));
        var twoInstantiations = new CudaProgramSource("tiny.cu", Tiny().Text, Tiny().Headers, ["scale<float>", "scale<int>"]);
        Assert.That(compiler.Compile(twoInstantiations, Target).Origin, Is.EqualTo(CompileOrigin.Compiled));
        Assert.That(Directory.GetFiles(_cacheDirectory, "*.kncu"), Has.Length.EqualTo(4));
    }

    [Test]
    public void CorruptedOrTruncatedCacheFileIsRecompiledNeverLoaded([Values] bool truncate)
    {
        CompiledProgram original = new NvrtcCompiler(_cacheDirectory).Compile(Tiny(), Target);
        string file = Directory.GetFiles(_cacheDirectory, "*.kncu").Single();
        byte[] bytes = File.ReadAllBytes(file);
        if (truncate)
            bytes = bytes[..(bytes.Length / 2)];
        else
            bytes[^10] ^= 0x20; // one flipped bit inside the PTX
        File.WriteAllBytes(file, bytes);

        CompiledProgram recompiled = new NvrtcCompiler(_cacheDirectory).Compile(Tiny(), Target);
        Assert.That(recompiled.Origin, Is.EqualTo(CompileOrigin.Compiled));
        Assert.That(recompiled.Image, Is.EqualTo(original.Image));
        Assert.That(new NvrtcCompiler(_cacheDirectory).Compile(Tiny(), Target).Origin, Is.EqualTo(CompileOrigin.DiskCache),
            "the recompiled program must have replaced the corrupted file");
    }

    [Test]
    public void CompileErrorCarriesNvrtcLogAndIsNotCached()
    {
        var compiler = new NvrtcCompiler(_cacheDirectory);
        var broken = new CudaProgramSource("broken.cu", "__global__ void k(float* p) { p[0] = undefined_name; }", new Dictionary<string, string>(), ["k"]);
        var error = Assert.Throws<CudaCompilationException>(() => compiler.Compile(broken, Target))!;
        Assert.That(error.Log, Does.Contain("undefined_name"));
        Assert.That(error.Message, Does.Contain("broken.cu").And.Contain("compute_80").And.Contain("undefined_name"));
        Assert.That(Directory.GetFiles(_cacheDirectory), Is.Empty);
    }

    [Test]
    public void CudaHeadersAreFoundWithoutConfiguration()
    {
        var usesHalf = new CudaProgramSource("half.cu",
            "#include <cuda_fp16.h>\n__global__ void halve(__half* p) { p[threadIdx.x] = __float2half(__half2float(p[threadIdx.x]) * 0.5f); }",
            new Dictionary<string, string>(), ["halve"]);
        Assert.That(NvrtcCompiler.Options(Target), Has.Some.StartsWith("-I"), "no folder with cuda_fp16.h was found");
        Assert.That(new NvrtcCompiler(_cacheDirectory).Compile(usesHalf, Target).Kind, Is.EqualTo(CudaImageKind.Ptx));
    }

    [Test]
    public void RealArchitectureGivesACubin()
    {
        CompiledProgram cubin = new NvrtcCompiler(_cacheDirectory).Compile(Tiny(), CudaArchitecture.Sm(8, 0));
        Assert.That(cubin.Kind, Is.EqualTo(CudaImageKind.Cubin));
        Assert.That(cubin.Image.AsSpan(0, 4).ToArray(), Is.EqualTo(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' }));
    }
}
