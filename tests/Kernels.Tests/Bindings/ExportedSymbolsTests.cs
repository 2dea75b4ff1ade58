using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Kernels.Interop;
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
        var exported = ExportedFunctions(NativeLibraryLocator.LoadedPath);
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

    /// <summary>Defined dynamic symbols, without the loader's own _init/_fini and any @version suffix.</summary>
    private static HashSet<string> ExportedFunctions(string library)
    {
        var nm = new ProcessStartInfo("nm", ["-D", "--defined-only", library])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(nm)!;
        string output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"nm failed on {library}: {errors}");

        // Lines look like "000000000000a1b0 T kn_reduce" (or "kn_reduce@@VERS" with a named version node).
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 3 && fields[1] != "A")
            .Select(fields => fields[2].Split('@')[0])
            .Where(name => name is not ("_init" or "_fini"))
            .ToHashSet();
    }
}
