using Kernels.Collectives.Mpi;
using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Mpi;

/// <summary>
/// Which MPI launched a process (from the variables each launcher sets, as captured from mpirun 4.1.4 and Hydra 4.0.2 here),
/// and the message when the shim of that MPI is missing. Loads no shim: the selection with the real files is checked by
/// <see cref="MpiShimJobTests"/> under each launcher.
/// </summary>
[TestFixture]
public sealed class MpiShimSelectionTests
{
    private static MpiLauncher? Detect(params (string Name, string Value)[] variables)
    {
        var environment = variables.ToDictionary(variable => variable.Name, variable => variable.Value);
        return MpiLauncher.Detect(name => environment.GetValueOrDefault(name));
    }

    [Test]
    public void OpenMpisVariablesNameOpenMpi() =>
        Assert.That(Detect(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")),
            Is.EqualTo(new MpiLauncher(MpiImplementation.OpenMpi, "OMPI_COMM_WORLD_RANK")));

    [Test]
    public void HydrasVariablesNameMpich()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Detect(("PMI_RANK", "0"), ("PMI_SIZE", "3"), ("MPI_LOCALRANKID", "0"), ("MPI_LOCALNRANKS", "3"), ("PMI_FD", "6"), ("HYDI_CONTROL_FD", "7")),
                Is.EqualTo(new MpiLauncher(MpiImplementation.Mpich, "PMI_RANK")));
            Assert.That(Detect(("HYDI_CONTROL_FD", "7"))?.Implementation, Is.EqualTo(MpiImplementation.Mpich), "Hydra's control descriptor alone");
        });
    }

    /// <summary>Slurm's PMI plugins set PMI_RANK whatever the MPI; Open MPI's own variables decide.</summary>
    [Test]
    public void OpenMpisVariablesWinOverPmis() =>
        Assert.That(Detect(("PMI_RANK", "0"), ("PMI_SIZE", "2"), ("OMPI_COMM_WORLD_SIZE", "2"))?.Implementation, Is.EqualTo(MpiImplementation.OpenMpi));

    [Test]
    public void NoLauncherWithoutItsVariables() =>
        Assert.That(Detect(("KN_RANK", "0"), ("KN_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_RANK", " ")), Is.Null);

    [Test]
    public void MissingShimOfTheLaunchersMpiNamesBothBuilds()
    {
        string folder = Directory.CreateTempSubdirectory("kn-mpi-shims-").FullName;
        try
        {
            // Only the Open MPI build is there (an empty file: it is never loaded, since its ABI does not match Hydra's MPICH).
            File.WriteAllBytes(Path.Combine(folder, MpiShimLibrary.FileName(MpiImplementation.OpenMpi)), []);

            OptionalLibrary underHydra = MpiShimLibrary.Load(new MpiLauncher(MpiImplementation.Mpich, "PMI_RANK"), folder);

            Assert.That(underHydra.IsLoaded, Is.False);
            Assert.That(underHydra.Description, Does.Contain("started by MPICH's launcher (PMI_RANK is set)")
                .And.Contain(Path.Combine(folder, "libkernels_mpi_mpich.so"))
                .And.Contain($"{Path.Combine(folder, "libkernels_mpi.so")} exists but is built against Open MPI, whose ABI differs"));

            // Neither build there. (Asked under Hydra: this test host may have loaded the Open MPI build already, and the
            // loader's search by file name, the last candidate, would then find it.)
            OptionalLibrary neither = MpiShimLibrary.Load(new MpiLauncher(MpiImplementation.Mpich, "HYDI_CONTROL_FD"), Path.Combine(folder, "empty"));

            Assert.That(neither.IsLoaded, Is.False);
            Assert.That(neither.Description, Does.Contain("libkernels_mpi_mpich.so, the shim built against MPICH")
                .And.Contain("libkernels_mpi.so (Open MPI) is not there either"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
