using System.Diagnostics;
using Kernels.Interop;
using NUnit.Framework;

namespace Kernels.Tests.Bindings;

public class NativeLibraryLocatorTests
{
    private string _folder = "";

    [SetUp]
    public void CreateFolder()
    {
        _folder = Directory.CreateTempSubdirectory("kernels-locator-").FullName;
    }

    [TearDown]
    public void DeleteFolder()
    {
        Directory.Delete(_folder, recursive: true);
    }

    [Test]
    public void EmptyFolderNamesEveryPathItTried()
    {
        string[] candidates =
        [
            Path.Combine(_folder, "runtimes", "linux-x64", "native", "libkernels.so"),
            Path.Combine(_folder, "libkernels.so"),
        ];

        var failure = Assert.Throws<NativeLibraryException>(() => NativeLibraryLocator.Load(candidates))!;

        Assert.That(failure.ProbedPaths, Is.EqualTo(candidates));
        foreach (string candidate in candidates)
            Assert.That(failure.Message, Does.Contain($"{candidate}: missing"));
        Assert.That(failure.Message, Does.Contain(NativeLibraryLocator.PathVariable));
    }

    [Test]
    public void FileThatIsNotALibraryReportsTheLoaderError()
    {
        string garbage = Path.Combine(_folder, "libkernels.so");
        // Longer than an ELF header, so the loader reads it and rejects its contents.
        File.WriteAllText(garbage, new string('x', 4096));

        var failure = Assert.Throws<NativeLibraryException>(() => NativeLibraryLocator.Load([garbage]))!;

        // dlerror's own words for a file without an ELF header.
        Assert.That(failure.Message, Does.Contain($"{garbage}: failed to load").And.Contain("invalid ELF header"));
    }

    [Test]
    public void LibraryOfAnotherMajorVersionIsRefused()
    {
        string fake = CompileLibrary("fake_kernels", "int kn_version(void) { return 990000; }");

        var failure = Assert.Throws<NativeLibraryException>(() => NativeLibraryLocator.Load([fake]))!;

        Assert.That(failure.Message, Does.Contain(
            $"{fake}: wrong version 99.0.0, expected major {NativeConstants.KN_VERSION_MAJOR}"));
    }

    [Test]
    public void LibraryWithoutKnVersionIsRefused()
    {
        string other = CompileLibrary("other", "int something_else(void) { return 1; }");

        var failure = Assert.Throws<NativeLibraryException>(() => NativeLibraryLocator.Load([other]))!;

        Assert.That(failure.Message, Does.Contain($"{other}: does not export kn_version"));
    }

    [Test]
    public void LaterCandidateIsUsedWhenEarlierOnesFail()
    {
        string missing = Path.Combine(_folder, "absent", "libkernels.so");
        string real = NativeLibraryLocator.LoadedPath;

        var loaded = NativeLibraryLocator.Load([missing, real]);

        Assert.That(loaded.Path, Is.EqualTo(real));
    }

    [Test]
    public void RealLibraryHasTheGeneratedMajorVersion()
    {
        NativeLibraryLocator.EnsureLoaded();

        int version = NativeMethods.kn_version();

        Assert.That(version / 10000, Is.EqualTo(NativeConstants.KN_VERSION_MAJOR), $"kn_version() = {version}");
    }

    [Test]
    public void DefaultProbingStartsNextToTheKernelsAssemblyAndEndsWithTheVariable()
    {
        string assemblyFolder = Path.GetDirectoryName(typeof(NativeLibraryLocator).Assembly.Location)!;
        string configured = Path.Combine(_folder, "custom.so");
        string? saved = Environment.GetEnvironmentVariable(NativeLibraryLocator.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(NativeLibraryLocator.PathVariable, configured);
            var candidates = NativeLibraryLocator.DefaultCandidatePaths().ToList();

            Assert.That(candidates, Does.Contain(Path.Combine(assemblyFolder, "runtimes", "linux-x64", "native", "libkernels.so")));
            Assert.That(candidates[0], Does.StartWith(Path.Combine(assemblyFolder, "runtimes")));
            Assert.That(candidates[^1], Is.EqualTo(configured));

            Environment.SetEnvironmentVariable(NativeLibraryLocator.PathVariable, _folder);
            Assert.That(NativeLibraryLocator.DefaultCandidatePaths().Last(), Is.EqualTo(Path.Combine(_folder, "libkernels.so")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(NativeLibraryLocator.PathVariable, saved);
        }
    }

    /// <summary>Builds a shared library from one line of C in the test's folder.</summary>
    private string CompileLibrary(string name, string source)
    {
        string sourcePath = Path.Combine(_folder, name + ".c");
        string libraryPath = Path.Combine(_folder, "lib" + name + ".so");
        File.WriteAllText(sourcePath, source);
        var gcc = new ProcessStartInfo("gcc", ["-shared", "-fPIC", "-o", libraryPath, sourcePath]) { RedirectStandardError = true };
        using var process = Process.Start(gcc)!;
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"gcc failed: {errors}");
        return libraryPath;
    }
}
