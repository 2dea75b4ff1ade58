using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The curated headers of bindings/cuda and the emulator's header match their libraries: every generated
/// [DllImport("nvrtc")], [DllImport("cuda")], [DllImport("nccl")] and [DllImport("kernels_cuda_emu")] entry point is
/// exported by the library that is loaded for it (where that library is installed), and every function a curated
/// header declares has a generated binding with the same number of parameters.
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
    public void EveryNcclBindingIsExported()
    {
        if (!CudaLibraries.Nccl.IsLoaded)
            Assert.Ignore($"no NCCL library: {CudaLibraries.Nccl.Description}");
        AssertExported("nccl", CudaLibraries.Nccl);
    }

    /// <summary>Read from the header text independently of the generator: names and parameter counts.</summary>
    [TestCase("nccl.h", "nccl", "NCCL_BINDING")]
    [TestCase("cuda_driver.h", "cuda", "CU_BINDING")]
    [TestCase("nvrtc.h", "nvrtc", "NVRTC_BINDING")]
    public void EveryHeaderFunctionHasABindingWithItsParameterCount(string header, string library, string exportMacro)
    {
        string text = File.ReadAllText(Path.Combine(RepositoryFiles.Root(), "bindings", "cuda", header));
        text = Regex.Replace(text, @"/\*.*?\*/|//[^\n]*", " ", RegexOptions.Singleline);
        var declared = Regex.Matches(text, exportMacro + @"\s+[^;(]*?\b(?<name>\w+)\s*\((?<parameters>[^)]*)\)\s*;")
            .ToDictionary(m => m.Groups["name"].Value, m => ParameterCount(m.Groups["parameters"].Value));
        var bound = typeof(CudaDevice).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            .Where(m => m.GetCustomAttribute<DllImportAttribute>()?.Value == library)
            .ToDictionary(m => m.GetCustomAttribute<DllImportAttribute>()!.EntryPoint!, m => m.GetParameters().Length);
        Assert.That(declared, Is.Not.Empty, $"no {exportMacro} declarations found in {header}");
        Assert.That(bound, Is.EquivalentTo(declared), $"{header}: generated [DllImport(\"{library}\")] entry points and parameter counts");

        static int ParameterCount(string list) =>
            list.Trim() is "" or "void" ? 0 : list.Split(',').Length;
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
