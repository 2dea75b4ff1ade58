using System.Runtime.InteropServices;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>
/// AllToAll and AllToAllV between real processes over the shared-memory transport, world sizes 2..4: one job per world
/// size runs every case (f32, f16, bf16; empty, one-element, odd and multi-slot blocks; variable counts with zeros)
/// through the worker's <c>exchange</c> scenario, then each rank's output is compared bit for bit with the blocks
/// addressed to it. The same cases also run under Open MPI's and MPICH's launchers across simulated hosts (the hierarchical communicator).
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AllToAllProcessTests
{
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void ExchangesDeliverEveryBlockOnEveryRank(int size) => RunExchanges(size, directory =>
    {
        (Kernels.Collectives.LaunchResult result, RankLines output) = Worker.Run(size, ["exchange", directory]);
        return (result.ExitCode, output.Describe());
    });

    /// <summary>The same cases across simulated hosts under Open MPI's mpirun and MPICH's Hydra (<c>KN_SIMULATED_HOSTS</c>): all-MPI
    /// with one rank per host, and shared memory + MPI with hosts of 2 and 1 ranks interleaved and 2x2 interleaved, where
    /// the exchange goes through the hierarchy.</summary>
    [TestCase(Mpi.MpiUnderTest.OpenMpi, 2, "2")]
    [TestCase(Mpi.MpiUnderTest.OpenMpi, 3, "0,1,0")]
    [TestCase(Mpi.MpiUnderTest.OpenMpi, 3, "3")]
    [TestCase(Mpi.MpiUnderTest.OpenMpi, 4, "0,1,0,1")]
    [TestCase(Mpi.MpiUnderTest.Mpich, 2, "2")]
    [TestCase(Mpi.MpiUnderTest.Mpich, 3, "0,1,0")]
    public void ExchangesAcrossHostsDeliverEveryBlockOnEveryRank(Mpi.MpiUnderTest mpi, int size, string hosts) => RunExchanges(size, directory =>
    {
        (int exitCode, string output, _) = Mpi.MpiJob.Run(mpi, size, [Worker.Dotnet, Worker.Assembly, "exchange", directory],
            TimeSpan.FromSeconds(240), new Dictionary<string, string> { ["KN_SIMULATED_HOSTS"] = hosts, ["KN_TIMEOUT_MS"] = "60000" });
        return (exitCode, output);
    });

    private static void RunExchanges(int size, Func<string, (int ExitCode, string Output)> launch)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"kn-exchange-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var lines = new List<string>();
            var checks = new List<Action>();
            foreach (int block in new[] { 0, 1, 7, 1025 })
            {
                checks.Add(Add<float>(directory, lines, size, "alltoall", AllToAllData.UniformCounts(size, block)));
            }
            foreach (int seed in new[] { 0, 1 })
            {
                checks.Add(Add<float>(directory, lines, size, "alltoallv", AllToAllData.VariableCounts(size, seed)));
            }
            checks.Add(Add<Half>(directory, lines, size, "alltoall", AllToAllData.UniformCounts(size, 7)));
            checks.Add(Add<Half>(directory, lines, size, "alltoallv", AllToAllData.VariableCounts(size, 2)));
            checks.Add(Add<BFloat16>(directory, lines, size, "alltoall", AllToAllData.UniformCounts(size, 1025)));
            checks.Add(Add<BFloat16>(directory, lines, size, "alltoallv", AllToAllData.VariableCounts(size, 3)));
            File.WriteAllLines(Path.Combine(directory, "exchange.txt"), lines);

            (int exitCode, string output) = launch(directory);

            Assert.That(exitCode, Is.Zero, output);
            Assert.Multiple(() =>
            {
                foreach (Action check in checks)
                {
                    check();
                }
            });
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>Writes case files; returns the check of every rank's output.</summary>
    private static Action Add<T>(string directory, List<string> lines, int size, string kind, int[] counts) where T : unmanaged
    {
        int index = lines.Count;
        string type = typeof(T) == typeof(float) ? "f32" : typeof(T) == typeof(Half) ? "f16" : "bf16";
        lines.Add($"{kind} {type}");
        File.WriteAllBytes(Path.Combine(directory, $"c{index}.counts"), MemoryMarshal.AsBytes(counts.AsSpan()).ToArray());
        for (int rank = 0; rank < size; rank++)
        {
            T[] input = AllToAllData.Input<T>(counts, size, rank, seed: index);
            File.WriteAllBytes(Path.Combine(directory, $"c{index}.r{rank}.in"), MemoryMarshal.AsBytes(input.AsSpan()).ToArray());
        }
        return () =>
        {
            for (int rank = 0; rank < size; rank++)
            {
                T[] actual = MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(Path.Combine(directory, $"c{index}.r{rank}.out"))).ToArray();
                Compare.Bitwise<T>(actual, AllToAllData.Expected<T>(counts, size, rank, seed: index), $"{lines[index]} on rank {rank} of {size}");
            }
        };
    }
}
