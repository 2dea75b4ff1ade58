using System.Reflection;
using System.Runtime.InteropServices;
using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The curated headers of bindings/cuda and the emulator's header match their libraries: every generated
/// [DllImport("nvrtc")], [DllImport("cuda")] and [DllImport("kernels_cuda_emu")] entry point is exported by the
/// library that is loaded for it.
/// </summary>
public class CudaBindingsTests
{
    [Test]
    public void EveryNvrtcBindingIsExported()
    {
        CudaToolchain.RequireNvrtc();
        AssertExported("nvrtc", CudaLibraries.Nvrtc);
    }

    [Test]
    public void EveryDriverBindingIsExported()
    {
        if (!CudaLibraries.Driver.IsLoaded)
            Assert.Ignore($"no CUDA driver library: {CudaLibraries.Driver.Description}");
        AssertExported("cuda", CudaLibraries.Driver);
    }

    [Test]
    public void EveryEmulatorBindingIsExported()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "libkernels_cuda_emu.so");
        Assert.That(File.Exists(path), $"{path} is missing: build the native tree (cmake, KN_BUILD_CUDA_EMU=ON)");
        var library = new OptionalLibrary(path, NativeLibrary.Load(path), "test library");
        AssertExported("kernels_cuda_emu", library, typeof(CudaBindingsTests).Assembly);
    }

    [Test]
    public void NvrtcIsProbedNewestFirst() =>
        Assert.That(CudaLibraries.NvrtcFiles, Is.EqualTo(new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2" }));

    [Test]
    public void MissingLibraryIsReportedWithEveryNameTried()
    {
        OptionalLibrary missing = OptionalLibrary.Probe(["libkernels-does-not-exist.so.1", "libkernels-does-not-exist.so.2"]);
        Assert.That(missing.IsLoaded, Is.False);
        Assert.That(missing.Description, Does.Contain("libkernels-does-not-exist.so.1").And.Contain("libkernels-does-not-exist.so.2"));
    }

    private static void AssertExported(string library, OptionalLibrary loaded, Assembly? bindings = null)
    {
        var entryPoints = (bindings ?? typeof(CudaDevice).Assembly).GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Select(m => m.GetCustomAttribute<DllImportAttribute>())
            .Where(a => a?.Value == library)
            .Select(a => a!.EntryPoint!)
            .ToArray();
        Assert.That(entryPoints, Is.Not.Empty, $"no [DllImport(\"{library}\")] bindings were generated");
        var missing = entryPoints.Where(e => !NativeLibrary.TryGetExport(loaded.Handle, e, out _)).ToArray();
        Assert.That(missing, Is.Empty, $"{loaded.File} does not export these bound functions");
    }
}
