using Kernels.Attention;
using Kernels.Collectives;

namespace Kernels.CollectiveWorker;

/// <summary>
/// Runs the sequence-parallel attention cases a test wrote into <c>attention.txt</c>, one per line:
/// <c>ring|ulysses f32|bf16 contiguous|zigzag causal|full batch seq heads kvHeads headDim</c>. Case i's whole-sequence
/// q, k, v and dO (raw little-endian, [batch, seq, heads, dim]) are in <c>c{i}.q</c>, <c>c{i}.k</c>, <c>c{i}.v</c> and
/// <c>c{i}.do</c>; each rank takes its shard (<see cref="SequenceShards"/>), runs forward then backward, and writes its
/// local o, lse, dq, dk and dv to <c>c{i}.r{rank}.o</c> and so on. The test puts the shards back together.
/// </summary>
internal static class AttentionPlanRunner
{
    internal static int Run(string directory) =>
        PlanFile.RunLines(directory, "attention.txt", "attention cases", (communicator, index, f) =>
        {
            var plan = new AttentionStep(
                f[0] switch
                {
                    "ring" => false,
                    "ulysses" => true,
                    _ => throw new InvalidDataException($"attention line {index}: unknown algorithm {f[0]}"),
                },
                Enum.Parse<SequenceLayout>(f[2], ignoreCase: true),
                f[3] == "causal" ? AttentionOptions.CausalMask : AttentionOptions.Default,
                new AttentionShape(int.Parse(f[4]), int.Parse(f[5]), int.Parse(f[5]), int.Parse(f[6]), int.Parse(f[7]), int.Parse(f[8])),
                Path.Combine(directory, $"c{index}"));
            switch (f[1])
            {
                case "f32":
                    Run<float>(communicator, plan);
                    break;
                case "bf16":
                    Run<BFloat16>(communicator, plan);
                    break;
                default:
                    throw new InvalidDataException($"attention line {index}: unknown type {f[1]}");
            }
        });

    private sealed record AttentionStep(bool Ulysses, SequenceLayout Layout, AttentionOptions Options, AttentionShape Whole, string Prefix);

    private static void Run<T>(Communicator communicator, AttentionStep step) where T : unmanaged
    {
        AttentionShape s = step.Whole;
        int size = communicator.Size, rank = communicator.Rank;
        AttentionShape local = s with { SeqQ = s.SeqQ / size, SeqK = s.SeqK / size };
        T[] q = Shard<T>(step, ".q", s.Heads * s.HeadDim, communicator), k = Shard<T>(step, ".k", s.KvHeads * s.HeadDim, communicator);
        T[] v = Shard<T>(step, ".v", s.KvHeads * s.ValueHeadDim, communicator), dO = Shard<T>(step, ".do", s.Heads * s.ValueHeadDim, communicator);
        T[] o = new T[local.OutputLength], dq = new T[local.QueryLength], dk = new T[local.KeyLength], dv = new T[local.ValueLength];
        float[] lse = new float[local.RowCount];
        if (step.Ulysses)
        {
            UlyssesAttention.Forward<T>(communicator, q, k, v, o, lse, local, step.Layout, step.Options);
            UlyssesAttention.Backward<T>(communicator, q, k, v, o, lse, dO, dq, dk, dv, local, step.Layout, step.Options);
        }
        else
        {
            RingAttention.Forward<T>(communicator, q, k, v, o, lse, local, step.Layout, step.Options);
            RingAttention.Backward<T>(communicator, q, k, v, o, lse, dO, dq, dk, dv, local, step.Layout, step.Options);
        }
        Write(step, rank, ".o", o);
        Write(step, rank, ".lse", lse);
        Write(step, rank, ".dq", dq);
        Write(step, rank, ".dk", dk);
        Write(step, rank, ".dv", dv);
    }

    private static T[] Shard<T>(AttentionStep step, string tensor, int rowElements, Communicator communicator) where T : unmanaged
    {
        T[] whole = PlanFile.Read<T>(step.Prefix + tensor);
        var shard = new T[whole.Length / communicator.Size];
        SequenceShards.Shard<T>(whole, shard, step.Layout, communicator.Rank, communicator.Size, step.Whole.Batch, step.Whole.SeqQ, rowElements);
        return shard;
    }

    private static void Write<T>(AttentionStep step, int rank, string tensor, T[] values) where T : unmanaged =>
        PlanFile.Write<T>($"{step.Prefix}.r{rank}{tensor}", values);
}
