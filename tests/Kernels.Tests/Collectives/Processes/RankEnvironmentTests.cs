using Kernels.Collectives;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>Who a process is in a job, from KN_*, Open MPI's or PMI's variables; and the errors for bad values.</summary>
[TestFixture]
public sealed class RankEnvironmentTests
{
    private static RankEnvironment Read(params (string Name, string Value)[] variables)
    {
        var environment = variables.ToDictionary(variable => variable.Name, variable => variable.Value);
        return RankEnvironment.Read(name => environment.GetValueOrDefault(name));
    }

    [Test]
    public void KnVariablesNameRankSizeAndJob()
    {
        RankEnvironment rank = Read(("KN_RANK", "2"), ("KN_WORLD_SIZE", "3"), ("KN_JOB", "abc_1-2"));
        Assert.That((rank.Rank, rank.Size, rank.JobId), Is.EqualTo((2, 3, "abc_1-2")));
    }

    [Test]
    public void OpenMpiVariablesAreUsedWithOpenMpisJobId()
    {
        RankEnvironment rank = Read(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"),
            ("OMPI_MCA_ess_base_jobid", "816971777"));
        Assert.That((rank.Rank, rank.Size, rank.JobId), Is.EqualTo((1, 2, "ompi-816971777")));
    }

    [Test]
    public void KnJobWinsOverOpenMpisJobId() =>
        Assert.That(Read(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "1"), ("OMPI_MCA_ess_base_jobid", "7"), ("KN_JOB", "mine")).JobId,
            Is.EqualTo("mine"));

    [Test]
    public void PmiVariablesNeedKnJob()
    {
        Assert.That(Read(("PMI_RANK", "0"), ("PMI_SIZE", "2"), ("KN_JOB", "j")).Size, Is.EqualTo(2));
        Assert.That(() => Read(("PMI_RANK", "0"), ("PMI_SIZE", "2")), Throws.ArgumentException.With.Message.Contains("KN_JOB"));
    }

    [Test]
    public void MissingAndInvalidValuesAreNamed()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Read(), Throws.ArgumentException.With.Message.Contains("KN_RANK"));
            Assert.That(() => Read(("KN_RANK", "0"), ("KN_JOB", "j")), Throws.ArgumentException.With.Message.Contains("KN_WORLD_SIZE is not set"));
            Assert.That(() => Read(("KN_RANK", "0"), ("KN_WORLD_SIZE", "2")), Throws.ArgumentException.With.Message.Contains("KN_JOB is not set"));
            Assert.That(() => Read(("KN_RANK", "x"), ("KN_WORLD_SIZE", "2"), ("KN_JOB", "j")), Throws.ArgumentException.With.Message.Contains("KN_RANK='x'"));
            Assert.That(() => Read(("KN_RANK", "2"), ("KN_WORLD_SIZE", "2"), ("KN_JOB", "j")), Throws.ArgumentException.With.Message.Contains("KN_RANK=2"));
            Assert.That(() => Read(("KN_RANK", "0"), ("KN_WORLD_SIZE", "0"), ("KN_JOB", "j")), Throws.ArgumentException.With.Message.Contains("KN_WORLD_SIZE=0"));
            Assert.That(() => Read(("KN_RANK", "0"), ("KN_WORLD_SIZE", "65"), ("KN_JOB", "j")), Throws.ArgumentException.With.Message.Contains("KN_WORLD_SIZE=65"));
            Assert.That(() => Read(("KN_RANK", "0"), ("KN_WORLD_SIZE", "2"), ("KN_JOB", "../etc")), Throws.ArgumentException.With.Message.Contains("KN_JOB='../etc'"));
            Assert.That(() => Read(("OMPI_COMM_WORLD_RANK", "4"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")),
                Throws.ArgumentException.With.Message.Contains("OMPI_COMM_WORLD_RANK=4"));
        });
    }

    [Test]
    public void RanksOnSeveralHostsMakeAHierarchicalJob()
    {
        RankEnvironment openMpi = Read(("OMPI_COMM_WORLD_RANK", "3"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"));
        RankEnvironment hydra = Read(("PMI_RANK", "1"), ("PMI_SIZE", "100"), ("MPI_LOCALNRANKS", "50"));
        RankEnvironment oneHost = Read(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"), ("KN_JOB", "j"));
        Assert.Multiple(() =>
        {
            Assert.That((openMpi.Rank, openMpi.Size, openMpi.SpansHosts), Is.EqualTo((3, 4, true)));
            Assert.That((hydra.Rank, hydra.Size, hydra.SpansHosts), Is.EqualTo((1, 100, true)), "no KN_JOB needed: MPI provides the job id");
            Assert.That(oneHost.SpansHosts, Is.False);
        });
    }

    [Test]
    public void SimulatedHostsMakeAHierarchicalJobOnOneHost()
    {
        RankEnvironment rank = Read(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2"), ("KN_SIMULATED_HOSTS", "2"));
        Assert.That((rank.SpansHosts, rank.SimulatedHosts), Is.EqualTo((true, "2")));
        Assert.That(Read(("KN_RANK", "0"), ("KN_WORLD_SIZE", "2"), ("KN_JOB", "j"), ("KN_SIMULATED_HOSTS", "2")).SpansHosts, Is.False,
            "without an MPI launcher there is no MPI to carry the traffic between hosts");
    }
}
