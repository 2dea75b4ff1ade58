namespace Kernels.Collectives.Mpi;

/// <summary>The MPI implementations libkernels_mpi is built against (one shim per implementation, see <see cref="MpiShimLibrary"/>).</summary>
internal enum MpiImplementation
{
    OpenMpi,
    Mpich,
}

/// <summary>
/// Which MPI's launcher started this process, from the variables each puts in its ranks' environment: Open MPI's mpirun
/// sets <c>OMPI_COMM_WORLD_*</c>; MPICH's Hydra (<c>mpiexec.hydra</c>, <c>mpirun.mpich</c>) sets <c>PMI_RANK</c>,
/// <c>PMI_SIZE</c>, <c>MPI_LOCALRANKID</c>, <c>MPI_LOCALNRANKS</c> and its control descriptors <c>PMI_FD</c>,
/// <c>HYDI_CONTROL_FD</c>. Open MPI's variables are checked first: a resource manager such as Slurm may set <c>PMI_RANK</c>
/// for any MPI, while only Open MPI sets <c>OMPI_*</c>.
/// </summary>
/// <param name="Implementation">The launcher's MPI.</param>
/// <param name="Evidence">The variable that told, for messages.</param>
internal sealed record MpiLauncher(MpiImplementation Implementation, string Evidence)
{
    private static readonly string[] OpenMpiVariables = ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"];
    private static readonly string[] HydraVariables = ["PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "HYDI_CONTROL_FD"];

    /// <summary>The launcher named by <paramref name="environment"/>, or null when no MPI launcher started this process.</summary>
    internal static MpiLauncher? Detect(Func<string, string?> environment)
    {
        foreach (string variable in OpenMpiVariables)
        {
            if (!string.IsNullOrWhiteSpace(environment(variable)))
                return new MpiLauncher(MpiImplementation.OpenMpi, variable);
        }
        foreach (string variable in HydraVariables)
        {
            if (!string.IsNullOrWhiteSpace(environment(variable)))
                return new MpiLauncher(MpiImplementation.Mpich, variable);
        }
        return null;
    }
}
