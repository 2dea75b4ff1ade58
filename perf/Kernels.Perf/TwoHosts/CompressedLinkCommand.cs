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

/// <summary>One contender: median seconds per step, bytes this rank sent per step, and the same step alone on one rank.</summary>
public sealed record LinkRow(string Name, double Seconds, long BytesSent, double? ComputeSeconds);

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
        var contenders = new List<(string Name, Func<Communicator, Func<long>> StepOn)>
        {
            ("dense, ours (hierarchical all-reduce)", on => () =>
            {
                _gradient.CopyTo(average, 0);
                on.AllReduce(average.AsSpan(), ReduceOp.Avg);
                return DenseBytes();
            }),
            ("top-k 1% + EF14", on => Compressed(new CompressedAllReduce(on, new TopK(floats / 100), ErrorFeedback.Ef14()), average, MatrixShape.Vector(floats))),
            ("top-k 0.1% + EF14", on => Compressed(new CompressedAllReduce(on, new TopK(floats / 1000), ErrorFeedback.Ef14()), average, MatrixShape.Vector(floats))),
            ("1-bit + EF14", on => Compressed(new CompressedAllReduce(on, new OneBit(), ErrorFeedback.Ef14()), average, MatrixShape.Vector(floats))),
        };
        if ((long)shape.Rows * shape.Cols == floats)
        {
            contenders.Add(($"PowerSGD r=4 ({shape}) + EF14", on => Compressed(new CompressedAllReduce(on, new PowerSgd(rank: 4), ErrorFeedback.Ef14()), average, shape)));
        }
        // The same step on a one-rank communicator: what the step costs without any link (compression, error feedback,
        // decompression, state snapshot), to tell link-bound from compute-bound steps.
        using Communicator alone = Communicator.CreateInProcess(1)[0];
        var rows = new List<LinkRow>();
        foreach ((string name, Func<Communicator, Func<long>> stepOn) in contenders)
        {
            (double seconds, long bytes) = Measure(name, stepOn(communicator), communicator);
            (double computeSeconds, _) = Measure(name + " (one rank, no link)", stepOn(alone), communicator);
            rows.Add(new LinkRow(name, seconds, bytes, computeSeconds));
            if (rows.Count == 1)
            {
                (double mpiSeconds, long mpiBytes) = Measure("dense, MPI_Allreduce", () =>
                {
                    _gradient.CopyTo(average, 0);
                    MpiAllReduce(average);
                    return DenseBytes();
                }, communicator);
                rows.Add(new LinkRow("dense, MPI_Allreduce", mpiSeconds, mpiBytes, null));
            }
        }
        return rows;
    }

    private Func<long> Compressed(CompressedAllReduce allReduce, float[] average, MatrixShape shape) =>
        () => allReduce.Run(_gradient, average, shape).BytesSent;

    /// <summary>One untimed step, then <c>steps</c> timed ones, each after a barrier of the job so every rank starts together.</summary>
    private (double Seconds, long BytesSent) Measure(string name, Func<long> step, Communicator job)
    {
        step();
        var times = new List<double>();
        long bytes = 0;
        for (int i = 0; i < steps; i++)
        {
            job.Barrier();
            var clock = Stopwatch.StartNew();
            bytes = step();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        if (job.Rank == 0)
        {
            Console.Error.WriteLine($"[two-hosts] {name}: {Median(times) * 1e3:0.0} ms/step");
        }
        return (Median(times), bytes);
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
        text.AppendLine("| contender | ms / step | MB sent / rank / step | those bytes at the measured link rate, ms | the step on one rank, no link, ms | speedup vs dense (ours) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (LinkRow row in rows)
        {
            double wire = row.BytesSent * 8 / (probe.GigabitsPerSecond * 1e9) * 1e3;
            string compute = row.ComputeSeconds is { } seconds ? FormattableString.Invariant($"{seconds * 1e3:0.0}") : "-";
            text.AppendLine(FormattableString.Invariant(
                $"| {row.Name} | {row.Seconds * 1e3:0.0} | {row.BytesSent / 1e6:0.000} | {wire:0.0} | {compute} | {dense / row.Seconds:0.00}x |"));
        }
        text.AppendLine();
        text.AppendLine(FormattableString.Invariant($"Load average when written: {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (2 cores shared with other jobs)."));
        return text.ToString();
    }
}
