using Kernels.Collectives;

namespace Kernels.CollectiveWorker;

/// <summary>
/// Runs the collectives a test wrote into <c>plan.txt</c>, one per line, reading this rank's input of case i from
/// <c>c{i}.r{rank}.in</c> and writing its output to <c>c{i}.r{rank}.out</c> (raw little-endian elements). The test
/// computes the float64 reference; the worker only runs the collective.
/// </summary>
/// <remarks>
/// Line: <c>kind type op placement count [root]</c> — kind allreduce|allreduceasync|allgather|broadcast|sendrecv|reducescatter|allgatherv|
/// barrier|sparseallgather|sparsereducescatter|fused, type f32|f16|bf16, op Sum|Avg|Max|Min|-, placement span|buffer (buffer: a
/// <see cref="CommunicatorBuffer{T}"/>, no copy).
/// sendrecv: rank 0 sends its input to every peer in turn and receives each peer's input back (output: the peers'
/// inputs in rank order); a peer's output is rank 0's input.
/// allreduceasync: two queued all-reduces of the input, output both results. reducescatter: output is this rank's shard (<see cref="Communicator.ShardOf"/>). allgatherv: rank r contributes the first
/// max(0, count - r) elements of its input. barrier: empty output. sparse*: rank r's entries are the elements i of its input with
/// (i + r) % root == 0 (root 0: 3); sparseallgather outputs the dense sum, sparsereducescatter this rank's shard of it. fused: root is the row
/// width; residual[i] = (i % 5) / 4, weight[j] = 1 + (j % 3) / 2, eps 1e-5; output y then the updated residual.
/// </remarks>
internal static class PlanRunner
{
    internal static int Run(string directory) =>
        PlanFile.RunLines(directory, "plan.txt", "collectives", (communicator, index, fields) =>
        {
            string input = Path.Combine(directory, $"c{index}.r{communicator.Rank}.in");
            string output = Path.Combine(directory, $"c{index}.r{communicator.Rank}.out");
            var step = new PlanStep(fields[0], fields[2], fields[3] == "buffer", int.Parse(fields[4]), fields.Length > 5 ? int.Parse(fields[5]) : 0);
            switch (fields[1])
            {
                case "f32":
                    PlanFile.Write<float>(output, Run(communicator, step, PlanFile.Read<float>(input)));
                    break;
                case "bf16":
                    PlanFile.Write<BFloat16>(output, Run(communicator, step, PlanFile.Read<BFloat16>(input)));
                    break;
                case "f16":
                    PlanFile.Write<Half>(output, Run(communicator, step, PlanFile.Read<Half>(input)));
                    break;
                default:
                    throw new InvalidDataException($"plan line {index}: unknown type {fields[1]}");
            }
        });

    private sealed record PlanStep(string Kind, string Op, bool InBuffer, int Count, int Root);


    private static T[] Run<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged => step.Kind switch
    {
        "allreduce" => AllReduce(communicator, step, input),
        "allreduceasync" => AllReduceAsync(communicator, step, input),
        "allgather" => AllGather(communicator, step, input),
        "broadcast" => Broadcast(communicator, step, input),
        "sendrecv" => SendRecv(communicator, input),
        "reducescatter" => ReduceScatter(communicator, step, input),
        "allgatherv" => AllGatherV(communicator, input),
        "barrier" => Barrier<T>(communicator),
        "sparseallgather" => SparseAllGather(communicator, step, input),
        "sparsereducescatter" => SparseReduceScatter(communicator, step, input),
        "fused" => Fused(communicator, step, input),
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

    /// <summary>Two all-reduces queued at once (the second on a copy), awaited in order; output: the first result then the second.</summary>
    private static T[] AllReduceAsync<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        ReduceOp op = Enum.Parse<ReduceOp>(step.Op);
        T[] first = [.. input], second = [.. input];
        ValueTask a = communicator.AllReduceAsync(first.AsMemory(), op);
        ValueTask b = communicator.AllReduceAsync(second.AsMemory(), op);
        a.AsTask().GetAwaiter().GetResult();
        b.AsTask().GetAwaiter().GetResult();
        return [.. first, .. second];
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

    private static T[] ReduceScatter<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        ReduceOp op = Enum.Parse<ReduceOp>(step.Op);
        (int offset, int length) = communicator.ShardOf(input.Length, communicator.Rank);
        if (step.InBuffer)
        {
            using CommunicatorBuffer<T> buffer = Filled(communicator, input);
            communicator.ReduceScatter(buffer, op);
            return buffer.Span.Slice(offset, length).ToArray();
        }
        var output = new T[length];
        communicator.ReduceScatter<T>(input, output, op);
        return output;
    }

    private static T[] AllGatherV<T>(Communicator communicator, T[] input) where T : unmanaged
    {
        int[] counts = [.. Enumerable.Range(0, communicator.Size).Select(rank => Math.Max(0, input.Length - rank))];
        var output = new T[counts.Sum()];
        communicator.AllGatherV<T>(input.AsSpan(0, counts[communicator.Rank]), output, counts);
        return output;
    }

    private static T[] Barrier<T>(Communicator communicator) where T : unmanaged
    {
        communicator.Barrier();
        return [];
    }

    private static (int[] Indices, T[] Values) Entries<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        int stride = step.Root > 0 ? step.Root : 3;
        int[] indices = [.. Enumerable.Range(0, input.Length).Where(i => (i + communicator.Rank) % stride == 0)];
        return (indices, [.. indices.Select(i => input[i])]);
    }

    private static T[] SparseAllGather<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        (int[] indices, T[] values) = Entries(communicator, step, input);
        var dense = new T[input.Length];
        communicator.SparseAllGather<T>(indices, values, dense);
        return dense;
    }

    private static T[] SparseReduceScatter<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        (int[] indices, T[] values) = Entries(communicator, step, input);
        var shard = new T[communicator.ShardOf(input.Length, communicator.Rank).Length];
        communicator.SparseReduceScatter<T>(indices, values, input.Length, shard);
        return shard;
    }

    private static T[] Fused<T>(Communicator communicator, PlanStep step, T[] input) where T : unmanaged
    {
        int cols = step.Root;
        T[] residual = [.. Enumerable.Range(0, input.Length).Select(i => Convert<T>((i % 5) / 4f))];
        T[] weight = [.. Enumerable.Range(0, cols).Select(j => Convert<T>(1 + (j % 3) / 2f))];
        var y = new T[input.Length];
        communicator.AllReduceAddRmsNorm<T>(input, residual, weight, y, cols, 1e-5f);
        return [.. y, .. residual];
    }

    private static T Convert<T>(float value) where T : unmanaged =>
        typeof(T) == typeof(float) ? (T)(object)value
        : typeof(T) == typeof(Half) ? (T)(object)(Half)value
        : (T)(object)(BFloat16)value;

    private static CommunicatorBuffer<T> Filled<T>(Communicator communicator, T[] input) where T : unmanaged
    {
        CommunicatorBuffer<T> buffer = communicator.AllocateBuffer<T>(input.Length);
        input.CopyTo(buffer.Span);
        return buffer;
    }
}
