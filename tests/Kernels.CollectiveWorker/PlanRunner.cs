using System.Runtime.InteropServices;
using Kernels.Collectives;

namespace Kernels.CollectiveWorker;

/// <summary>
/// Runs the collectives a test wrote into <c>plan.txt</c>, one per line, reading this rank's input of case i from
/// <c>c{i}.r{rank}.in</c> and writing its output to <c>c{i}.r{rank}.out</c> (raw little-endian elements). The test
/// computes the float64 reference; the worker only runs the collective.
/// </summary>
/// <remarks>
/// Line: <c>kind type op placement count [root]</c> — kind allreduce|allgather|broadcast|sendrecv, type f32|bf16,
/// op Sum|Avg|Max|Min|-, placement span|buffer (buffer: a <see cref="CommunicatorBuffer{T}"/>, no copy).
/// sendrecv: rank 0 sends its input to every peer in turn and receives each peer's input back (output: the peers'
/// inputs in rank order); a peer's output is rank 0's input.
/// </remarks>
internal static class PlanRunner
{
    internal static int Run(string directory)
    {
        using Communicator communicator = Communicator.FromEnvironment(WorkerOptions.Small);
        string[] lines = File.ReadAllLines(Path.Combine(directory, "plan.txt"));
        for (int index = 0; index < lines.Length; index++)
        {
            string[] fields = lines[index].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            string input = Path.Combine(directory, $"c{index}.r{communicator.Rank}.in");
            string output = Path.Combine(directory, $"c{index}.r{communicator.Rank}.out");
            var step = new PlanStep(fields[0], fields[2], fields[3] == "buffer", int.Parse(fields[4]), fields.Length > 5 ? int.Parse(fields[5]) : 0);
            switch (fields[1])
            {
                case "f32":
                    File.WriteAllBytes(output, MemoryMarshal.AsBytes(Run(communicator, step, Read<float>(input)).AsSpan()).ToArray());
                    break;
                case "bf16":
                    File.WriteAllBytes(output, MemoryMarshal.AsBytes(Run(communicator, step, Read<BFloat16>(input)).AsSpan()).ToArray());
                    break;
                default:
                    throw new InvalidDataException($"plan line {index}: unknown type {fields[1]}");
            }
        }
        Console.WriteLine($"ran {lines.Length} collectives");
        return 0;
    }

    private sealed record PlanStep(string Kind, string Op, bool InBuffer, int Count, int Root);

    private static T[] Read<T>(string path) where T : unmanaged => MemoryMarshal.Cast<byte, T>(File.ReadAllBytes(path)).ToArray();

    private static T[] Run<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged => step.Kind switch
    {
        "allreduce" => AllReduce(communicator, step, input),
        "allgather" => AllGather(communicator, step, input),
        "broadcast" => Broadcast(communicator, step, input),
        "sendrecv" => SendRecv(communicator, input),
        _ => throw new InvalidDataException($"unknown collective {step.Kind}"),
    };

    private static T[] AllReduce<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        ReduceOp op = Enum.Parse<ReduceOp>(step.Op);
        if (step.InBuffer)
        {
            using CommunicatorBuffer<T> buffer = Filled(communicator, input);
            communicator.AllReduce(buffer, op);
            return buffer.Span.ToArray();
        }
        var output = new T[input.Length];
        communicator.AllReduce<T>(input, output, op);
        return output;
    }

    /// <summary>Span: every rank's input concatenated. Buffer: each rank's shard of its own input, gathered in place.</summary>
    private static T[] AllGather<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        if (step.InBuffer)
        {
            using CommunicatorBuffer<T> buffer = Filled(communicator, input);
            communicator.AllGather(buffer);
            return buffer.Span.ToArray();
        }
        var output = new T[input.Length * communicator.Size];
        communicator.AllGather<T>(input, output);
        return output;
    }

    private static T[] Broadcast<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        if (step.InBuffer)
        {
            using CommunicatorBuffer<T> buffer = Filled(communicator, input);
            communicator.Broadcast(buffer, step.Root);
            return buffer.Span.ToArray();
        }
        communicator.Broadcast<T>(input, step.Root);
        return input;
    }

    private static T[] SendRecv<T>(Communicator communicator, T[] input) where T : unmanaged
    {
        if (communicator.Rank != 0)
        {
            var received = new T[input.Length];
            communicator.Recv<T>(received, 0);
            communicator.Send<T>(input, 0);
            return received;
        }
        var gathered = new T[input.Length * (communicator.Size - 1)];
        for (int peer = 1; peer < communicator.Size; peer++)
        {
            communicator.Send<T>(input, peer);
            communicator.Recv(gathered.AsSpan((peer - 1) * input.Length, input.Length), peer);
        }
        return gathered;
    }

    private static CommunicatorBuffer<T> Filled<T>(Communicator communicator, T[] input) where T : unmanaged
    {
        CommunicatorBuffer<T> buffer = communicator.AllocateBuffer<T>(input.Length);
        input.CopyTo(buffer.Span);
        return buffer;
    }
}
