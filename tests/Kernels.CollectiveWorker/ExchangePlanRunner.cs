using System.Runtime.InteropServices;
using Kernels.Collectives;

namespace Kernels.CollectiveWorker;

/// <summary>
/// Runs the all-to-all exchanges a test wrote into <c>exchange.txt</c>, one per line: <c>alltoall|alltoallv f32|f16|bf16</c>.
/// Case i's row-major count matrix (size x size int32: element [p, q] goes from rank p to rank q) is in <c>c{i}.counts</c>;
/// this rank's input (its blocks back to back) in <c>c{i}.r{rank}.in</c>; its output goes to <c>c{i}.r{rank}.out</c>.
/// </summary>
internal static class ExchangePlanRunner
{
    internal static int Run(string directory) =>
        PlanFile.RunLines(directory, "exchange.txt", "exchanges", (communicator, index, fields) =>
        {
            int[] counts = PlanFile.Read<int>(Path.Combine(directory, $"c{index}.counts"));
            string input = Path.Combine(directory, $"c{index}.r{communicator.Rank}.in");
            string output = Path.Combine(directory, $"c{index}.r{communicator.Rank}.out");
            bool variable = fields[0] switch
            {
                "alltoall" => false,
                "alltoallv" => true,
                _ => throw new InvalidDataException($"exchange line {index}: unknown collective {fields[0]}"),
            };
            byte[] result = fields[1] switch
            {
                "f32" => Exchange(communicator, variable, counts, PlanFile.Read<float>(input)),
                "f16" => Exchange(communicator, variable, counts, PlanFile.Read<Half>(input)),
                "bf16" => Exchange(communicator, variable, counts, PlanFile.Read<BFloat16>(input)),
                _ => throw new InvalidDataException($"exchange line {index}: unknown type {fields[1]}"),
            };
            File.WriteAllBytes(output, result);
        });

    private static byte[] Exchange<T>(Communicator communicator, bool variable, int[] counts, T[] input) where T : unmanaged
    {
        int size = communicator.Size, rank = communicator.Rank;
        int[] send = counts.AsSpan(rank * size, size).ToArray();
        int[] receive = Enumerable.Range(0, size).Select(p => counts[p * size + rank]).ToArray();
        var output = new T[receive.Sum()];
        if (variable)
        {
            communicator.AllToAllV<T>(input, send, output, receive);
        }
        else
        {
            communicator.AllToAll<T>(input, output);
        }
        return MemoryMarshal.AsBytes(output.AsSpan()).ToArray();
    }
}
