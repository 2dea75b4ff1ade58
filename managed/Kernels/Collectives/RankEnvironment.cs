using System.Globalization;
using Kernels.Collectives.Transport.SharedMemory;

namespace Kernels.Collectives;

/// <summary>
/// Who this process is in a job, from environment variables: <c>KN_RANK</c>, <c>KN_WORLD_SIZE</c>, <c>KN_JOB</c>
/// (set by <see cref="LocalLauncher"/>), else Open MPI's <c>OMPI_COMM_WORLD_RANK</c>/<c>OMPI_COMM_WORLD_SIZE</c> with
/// its job id, else a PMI launcher's (MPICH Hydra) <c>PMI_RANK</c>/<c>PMI_SIZE</c> with <c>KN_JOB</c>. Under an MPI launcher whose
/// ranks span hosts (or simulated hosts), the job is hierarchical (see <see cref="SpansHosts"/>).
/// </summary>
/// <param name="Rank">This process's rank.</param>
/// <param name="Size">Number of ranks.</param>
/// <param name="JobId">What names the job's shared-memory files; the same in every rank of the job.</param>
/// <param name="Source">Which variables were read, for messages.</param>
/// <param name="SpansHosts">An MPI launcher placed the ranks on several hosts (its local size differs from the world size), or
/// <c>KN_SIMULATED_HOSTS</c> asks for simulated hosts: the job runs hierarchically, and MPI itself provides the job id.</param>
/// <param name="SimulatedHosts">The value of <c>KN_SIMULATED_HOSTS</c>, if set (see <see cref="Mpi.HostTopology.SimulatedHostKey"/>).</param>
internal sealed record RankEnvironment(int Rank, int Size, string JobId, string Source, bool SpansHosts = false, string? SimulatedHosts = null)
{
    internal const string RankVariable = "KN_RANK";
    internal const string SizeVariable = "KN_WORLD_SIZE";
    internal const string JobVariable = "KN_JOB";

    /// <exception cref="ArgumentException">A variable is missing or invalid.</exception>
    internal static RankEnvironment Read(Func<string, string?> environment)
    {
        string? job = NonEmpty(environment(JobVariable));
        if (NonEmpty(environment(RankVariable)) is not null || NonEmpty(environment(SizeVariable)) is not null)
        {
            return Create(environment, RankVariable, SizeVariable,
                job ?? throw new ArgumentException($"{JobVariable} is not set: every rank of a job needs the same job id ({RankVariable} and {SizeVariable} are set)."),
                JobVariable);
        }
        if (NonEmpty(environment("OMPI_COMM_WORLD_RANK")) is not null)
        {
            if (AcrossHosts(environment, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE") is { } acrossHosts)
            {
                return acrossHosts;
            }
            (string jobId, string jobSource) = job is not null ? (job, JobVariable)
                : NonEmpty(environment("OMPI_MCA_ess_base_jobid")) is { } ompiJob ? ("ompi-" + ompiJob, "OMPI_MCA_ess_base_jobid")
                : throw new ArgumentException($"Running under Open MPI, but neither {JobVariable} nor OMPI_MCA_ess_base_jobid is set: set {JobVariable}.");
            return Create(environment, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", jobId, jobSource);
        }
        if (NonEmpty(environment("PMI_RANK")) is not null)
        {
            if (AcrossHosts(environment, "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS") is { } acrossHosts)
            {
                return acrossHosts;
            }
            return Create(environment, "PMI_RANK", "PMI_SIZE",
                job ?? throw new ArgumentException($"Running under a PMI launcher, which publishes no job id in the environment: set {JobVariable}."),
                JobVariable);
        }
        throw new ArgumentException(
            $"No rank in the environment: set {RankVariable}, {SizeVariable} and {JobVariable} (`kernels-perf launch -n N -- <command>` does), or run under mpirun.");
    }

    /// <summary>
    /// The hierarchical case of an MPI launcher: its local size (Open MPI's <c>OMPI_COMM_WORLD_LOCAL_SIZE</c>, Hydra's
    /// <c>MPI_LOCALNRANKS</c>) differs from the world size, or <c>KN_SIMULATED_HOSTS</c> is set; else null.
    /// </summary>
    private static RankEnvironment? AcrossHosts(Func<string, string?> environment, string rankVariable, string sizeVariable, string localSizeVariable)
    {
        string? simulated = NonEmpty(environment(Mpi.HostTopology.SimulatedHostsVariable));
        string size = Required(environment, sizeVariable);
        string? localSize = NonEmpty(environment(localSizeVariable));
        if (simulated is null && (localSize is null || localSize == size))
        {
            return null;
        }
        int worldSize = Parse(sizeVariable, size);
        int rank = Parse(rankVariable, Required(environment, rankVariable));
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
        {
            throw new ArgumentException($"{rankVariable}={rank} is not a rank of a world of {worldSize} ({sizeVariable}).");
        }
        string source = simulated is null ? $"{rankVariable}/{sizeVariable}/{localSizeVariable}" : $"{rankVariable}/{sizeVariable}/{Mpi.HostTopology.SimulatedHostsVariable}";
        return new RankEnvironment(rank, worldSize, "", source, SpansHosts: true, SimulatedHosts: simulated);
    }

    private static RankEnvironment Create(Func<string, string?> environment, string rankVariable, string sizeVariable, string jobId, string jobSource)
    {
        int size = Parse(sizeVariable, Required(environment, sizeVariable));
        if (size < 1 || size > Communicator.MaxSize)
        {
            throw new ArgumentException($"{sizeVariable}={size} is not a world size in 1..{Communicator.MaxSize}.");
        }
        int rank = Parse(rankVariable, Required(environment, rankVariable));
        if (rank < 0 || rank >= size)
        {
            throw new ArgumentException($"{rankVariable}={rank} is not a rank of a world of {size} ({sizeVariable}): expected 0..{size - 1}.");
        }
        SharedMemoryNames.CheckJobId(jobId, jobSource);
        return new RankEnvironment(rank, size, jobId, $"{rankVariable}/{sizeVariable}/{jobSource}");
    }

    private static string Required(Func<string, string?> environment, string variable) =>
        NonEmpty(environment(variable)) ?? throw new ArgumentException($"{variable} is not set.");

    private static int Parse(string variable, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out int parsed)
            ? parsed
            : throw new ArgumentException($"{variable}='{value}' is not an integer.");

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
