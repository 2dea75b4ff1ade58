using System.Reflection;
using System.Runtime.InteropServices;
using Kernels.Collectives.Mpi;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// libkernels_mpi (cpp/mpi) against its generated bindings, without starting MPI (a process can initialise MPI only
/// once, and not safely inside the test host): the export list of each build (Open MPI, MPICH), and the calls that work
/// before MPI_Init. Skipped where no shim was built (CMake found no MPI).
/// </summary>
public class MpiShimBindingTests
{
    [SetUp]
    public void RequireShim()
    {
        if (!MpiShimLibrary.Library.IsLoaded)
            Assert.Ignore($"libkernels_mpi is not available here: {MpiShimLibrary.Library.Description}");
    }

    /// <summary>No launcher started the test host: the Open MPI build, the first candidate, is the one loaded.</summary>
    [Test]
    public void ShimIsTheCopyBesideLibkernels()
    {
        Assert.That(MpiShimLibrary.Library.File, Is.EqualTo(ShimBesideLibkernels(MpiImplementation.OpenMpi)));
    }

    /// <summary>Each build of the shim (read from the file, not loaded: the test host must not start either MPI) exports
    /// exactly the generated bindings, since one set of bindings serves both.</summary>
    [TestCase(MpiUnderTest.OpenMpi)]
    [TestCase(MpiUnderTest.Mpich)]
    public void ExportedSymbolsEqualDllImportEntryPoints(MpiUnderTest mpi)
    {
        string shim = ShimBesideLibkernels(MpiJob.Implementation(mpi));
        Assert.That(File.Exists(shim), $"{shim} is missing: CMake builds it where pkg-config finds the MPI (./build.sh deps installs both)");
        var imported = typeof(MpiShimMethods)
            .GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Select(method => method.GetCustomAttribute<DllImportAttribute>())
            .Where(import => import?.Value == MpiShimLibrary.LibraryName)
            .Select(import => import!.EntryPoint!)
            .ToHashSet();
        HashSet<string> exported = DynamicSymbols.DefinedIn(shim);

        Assert.That(imported, Is.Not.Empty);
        Assert.That(exported.Except(imported).Concat(imported.Except(exported)).Order(), Is.Empty,
            $"the exports of {Path.GetFileName(shim)} and the bindings of kernels_mpi.h differ (listed)");
    }

    [Test]
    public unsafe void VersionAndLibraryAreReportedBeforeInit()
    {
        Assert.That(MpiShimMethods.kmpi_version() / 10000, Is.EqualTo(MpiShimConstants.KMPI_VERSION_MAJOR));
        Assert.That(Utf8(MpiShimMethods.kmpi_library_version()), Is.Not.Empty);
        Assert.That(MpiShimMethods.kmpi_is_initialized(), Is.Zero);
    }

    [Test]
    public unsafe void NullCommunicatorIsRejectedWithAMessage()
    {
        float value = 1;
        kmpi_status status = MpiShimMethods.kmpi_allreduce(null, &value, &value, 1, kmpi_dtype.KMPI_F32, kmpi_op.KMPI_OP_SUM);

        Assert.That(status, Is.EqualTo(kmpi_status.KMPI_INVALID_ARGUMENT));
        Assert.That(Utf8(MpiShimMethods.kmpi_last_error()), Does.Contain("null communicator"));
    }

    private static string ShimBesideLibkernels(MpiImplementation implementation) =>
        Path.Combine(TestContext.CurrentContext.TestDirectory, "runtimes", "linux-x64", "native", MpiShimLibrary.FileName(implementation));

    private static unsafe string Utf8(byte* text) => Marshal.PtrToStringUTF8((IntPtr)text) ?? "";
}
