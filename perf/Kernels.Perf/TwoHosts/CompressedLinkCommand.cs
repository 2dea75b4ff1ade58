using System.Diagnostics;
using System.Globalization;
using Kernels.Collectives;
using Kernels.Collectives.Mpi;
using Kernels.Compression;

namespace Kernels.Perf.TwoHosts;

/// <summary>
/// <c>kernels-perf compressed-link [--floats n] [--steps s] [--shaped-gbit r] [--out dir]</c>: one rank of the two-host experiment
/// (<c>perf/two-hosts-1gbit.sh</c> starts it under mpirun, one rank per network namespace). It measures the link with a
/// dense one-way transfer, then a gradient all-reduce per step — dense over our hierarchical path, dense with
/// MPI_Allreduce directly, and through <see cref="CompressedAllReduce"/> with each compressor — and rank 0 prints and
/// writes <c>two-hosts.md</c>: median time per step, bytes sent per rank, and the speedup over dense (ours).
/// </summary>
public static class CompressedLinkCommand
{
    public const string Name = "compressed-link";

    public static int Execute(string[] args)
    {
        int floats = 25_000_000, steps = 5;
        double? shapedGbit = null;
        string? output = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--floats" when i + 1 < args.Length:
                    floats = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--steps" when i + 1 < args.Length:
                    steps = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--shaped-gbit" when i + 1 < args.Length:
                    shapedGbit = double.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"usage: kernels-perf {Name} [--floats n] [--steps s] [--shaped-gbit r] [--out dir]   (under mpirun, 2 ranks on 2 hosts)");
                    return 2;
            }
        }
        // A 100 MB step takes about a second on 1 Gbit/s: allow far more before a wait counts as a lost peer.
        using Communicator communicator = Communicator.FromEnvironment(new CommunicatorOptions { Timeout = TimeSpan.FromMinutes(5) });
        var run = new LinkExperiment(communicator, floats, steps);
        LinkProbe probe = run.ProbeLink();
        List<LinkRow> rows = run.MeasureAll();
        if (communicator.Rank == 0)
        {
            string table = LinkTable.Markdown(floats, steps, communicator.Size, probe, shapedGbit, rows);
            Console.WriteLine(table);
            if (output is not null)
            {
                Directory.CreateDirectory(output);
                File.WriteAllText(Path.Combine(output, "two-hosts.md"), table);
            }
        }
        return 0;
    }
}

/// <summary>A dense one-way transfer between rank 0 and the last rank: the link's measured rate.</summary>
/// <param name="Bytes">Bytes sent.</param>
/// <param name="Seconds">Median time from the send's start to the receiver's 1-float acknowledgement.</param>
public sealed record LinkProbe(long Bytes, double Seconds)
{
    public double GigabitsPerSecond => Bytes * 8 / Seconds / 1e9;
}

/// <summary>One contender: median seconds per step, bytes this rank sent per step.</summary>
public sealed record LinkRow(string Name, double Seconds, long BytesSent);

internal sealed class LinkExperiment(Communicator communicator, int floats, int steps)
{
    private readonly float[] _gradient = Gradient(floats, communicator.Rank);

    internal LinkProbe ProbeLink()
    {
        int last = communicator.Size - 1;
        var data = new float[floats];
        var ack = new float[1];
        var times = new List<double>();
        for (int round = 0; round < 3; round++)
        {
            communicator.Barrier();
            var clock = Stopwatch.StartNew();
            if (communicator.Rank == 0)
            {
                communicator.Send<float>(data, last);
                communicator.Recv<float>(ack, last);
            }
            else if (communicator.Rank == last)
            {
                communicator.Recv<float>(data, 0);
                communicator.Send<float>(ack, 0);
            }
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return new LinkProbe(floats * 4L, Median(times));
    }

    internal List<LinkRow> MeasureAll()
    {
        var average = new float[floats];
        var shape = new MatrixShape(5000, floats / 5000);
        int k1 = floats / 100, k01 = floats / 1000;
        var rows = new List<LinkRow>
        {
            Measure("dense, ours (hierarchical all-reduce)", () =>
            {
                _gradient.CopyTo(average, 0);
                communicator.AllReduce(average.AsSpan(), ReduceOp.Avg);
                return DenseBytes();
            }),
            Measure("dense, MPI_Allreduce", () =>
            {
                _gradient.CopyTo(average, 0);
                MpiAllReduce(average);
                return DenseBytes();
            }),
        };
        var topK1 = new CompressedAllReduce(communicator, new TopK(k1), ErrorFeedback.Ef14());
        rows.Add(Measure("top-k 1% + EF14", () => topK1.Run(_gradient, average, MatrixShape.Vector(floats)).BytesSent));
        var topK01 = new CompressedAllReduce(communicator, new TopK(k01), ErrorFeedback.Ef14());
        rows.Add(Measure("top-k 0.1% + EF14", () => topK01.Run(_gradient, average, MatrixShape.Vector(floats)).BytesSent));
        var oneBit = new CompressedAllReduce(communicator, new OneBit(), ErrorFeedback.Ef14());
        rows.Add(Measure("1-bit + EF14", () => oneBit.Run(_gradient, average, MatrixShape.Vector(floats)).BytesSent));
        if ((long)shape.Rows * shape.Cols == floats)
        {
            var powerSgd = new CompressedAllReduce(communicator, new PowerSgd(rank: 4), ErrorFeedback.Ef14());
            rows.Add(Measure($"PowerSGD r=4 ({shape}) + EF14", () => powerSgd.Run(_gradient, average, shape).BytesSent));
        }
        return rows;
    }

    /// <summary>One untimed step, then <c>steps</c> timed ones, each after a barrier so every rank starts together.</summary>
    private LinkRow Measure(string name, Func<long> step)
    {
        step();
        var times = new List<double>();
        long bytes = 0;
        for (int i = 0; i < steps; i++)
        {
            communicator.Barrier();
            var clock = Stopwatch.StartNew();
            bytes = step();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        if (communicator.Rank == 0)
        {
            Console.Error.WriteLine($"[two-hosts] {name}: {Median(times) * 1e3:0.0} ms/step");
        }
        return new LinkRow(name, Median(times), bytes);
    }

    /// <summary>A ring all-reduce's bytes per rank, the dense baseline of <see cref="CompressionReport"/>.</summary>
    private long DenseBytes() => 2L * (communicator.Size - 1) * floats * 4 / communicator.Size;

    /// <summary>MPI_Allreduce (sum) on MPI_COMM_WORLD through libkernels_mpi, then x 1/n: the MPI library's own algorithm.</summary>
    private unsafe void MpiAllReduce(float[] buffer)
    {
        void* world;
        lock (MpiProcess.Lock)
        {
            MpiStatus.Check(MpiShimMethods.kmpi_comm_world(&world), "kmpi_comm_world");
            try
            {
                fixed (float* data = buffer)
                {
                    MpiStatus.Check(MpiShimMethods.kmpi_allreduce(world, data, data, (nuint)buffer.Length, kmpi_dtype.KMPI_F32, kmpi_op.KMPI_OP_SUM), "kmpi_allreduce");
                }
            }
            finally
            {
                MpiShimMethods.kmpi_comm_free(&world);
            }
        }
        System.Numerics.Tensors.TensorPrimitives.Multiply(buffer, 1f / communicator.Size, buffer);
    }

    /// <summary>Normal-ish values (sum of two uniforms), different per rank.</summary>
    private static float[] Gradient(int count, int rank)
    {
        var values = new float[count];
        ulong state = 0x9E3779B97F4A7C15UL * (ulong)(rank + 1);
        for (int i = 0; i < count; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            values[i] = ((state & 0xFFFF) + ((state >> 16) & 0xFFFF)) / 65536f - 1f;
        }
        return values;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}

internal static class LinkTable
{
    internal static string Markdown(int floats, int steps, int ranks, LinkProbe probe, double? shapedGbit, List<LinkRow> rows)
    {
        double dense = rows[0].Seconds;
        var text = new System.Text.StringBuilder();
        text.AppendLine($"# Two hosts, {floats * 4L / 1e6:0} MB fp32 gradient all-reduce per step ({ranks} ranks, median of {steps} steps, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        text.AppendLine();
        string shaping = shapedGbit is { } rate ? $" = {probe.GigabitsPerSecond / rate:P0} of the {rate:0.###} Gbit/s shaping rate" : "";
        text.AppendLine(FormattableString.Invariant(
            $"Link: a dense one-way Send of {probe.Bytes / 1e6:0} MB (MPI point-to-point) took {probe.Seconds * 1e3:0} ms: **{probe.GigabitsPerSecond:0.000} Gbit/s** of payload{shaping}."));
        text.AppendLine();
        text.AppendLine("| contender | ms / step | MB sent / rank / step | time at the measured link rate, ms | speedup vs dense (ours) |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (LinkRow row in rows)
        {
            double wire = row.BytesSent * 8 / (probe.GigabitsPerSecond * 1e9) * 1e3;
            text.AppendLine(FormattableString.Invariant(
                $"| {row.Name} | {row.Seconds * 1e3:0.0} | {row.BytesSent / 1e6:0.000} | {wire:0.0} | {dense / row.Seconds:0.00}x |"));
        }
        return text.ToString();
    }
}
