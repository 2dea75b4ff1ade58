using System.Reflection;
using System.Runtime.InteropServices;
using Kernels.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Bindings;

/// <summary>The built library exports exactly the functions the generated bindings import.</summary>
public class ExportedSymbolsTests
{
    [Test]
    public void LoadedLibraryIsTheCopyNextToTheTestAssembly()
    {
        string expected = Path.Combine(TestContext.CurrentContext.TestDirectory, "runtimes", "linux-x64", "native", "libkernels.so");
        Assert.That(NativeLibraryLocator.LoadedPath, Is.EqualTo(expected));
    }

    [Test]
    public void ExportedSymbolsEqualDllImportEntryPoints()
    {
        var exported = DynamicSymbols.DefinedIn(NativeLibraryLocator.LoadedPath);
        var imported = typeof(NativeMethods)
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Select(method => method.GetCustomAttribute<DllImportAttribute>())
            .Where(import => import?.Value == NativeLibraryLocator.LibraryName)
            .Select(import => import!.EntryPoint!)
            .ToHashSet();

        var exportedWithoutBinding = exported.Except(imported).Order().ToList();
        var boundWithoutExport = imported.Except(exported).Order().ToList();

        Assert.That(imported, Is.Not.Empty, "no [DllImport(\"kernels\")] found on NativeMethods");
        Assert.That(exportedWithoutBinding.Concat(boundWithoutExport), Is.Empty,
            $"exported by {NativeLibraryLocator.LoadedPath} but not bound: [{string.Join(", ", exportedWithoutBinding)}]; " +
            $"bound in NativeMethods but not exported: [{string.Join(", ", boundWithoutExport)}]");
    }
}
