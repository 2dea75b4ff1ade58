using System.Globalization;
using Kernels.Collectives;
using Kernels.Cuda;
using Kernels.Perf.Collectives;

namespace Kernels.Perf.Cuda;

/// <summary>
/// <c>kernels-perf gpu-rank --tokens t,... --repeats r</c>: one rank of the multi-GPU measurement (started by
/// <see cref="MultiGpuCase"/> through the launcher, one process per GPU, because CUDA IPC handles do not open in the process
/// that exported them). Device = rank; the host communicator comes from the environment. For each token count, on bf16
/// (tokens x <see cref="Hidden"/>): NCCL all-reduce, our fused all-reduce + add + RMSNorm, and NCCL all-reduce followed by our
/// add + RMSNorm, each event-timed. Rank 0 prints one <see cref="PeerCase"/> JSON line per case (time averaged over ranks,
/// #wrong summed), and <c>gpu-rank not-run &lt;implementation&gt;: reason</c> for a contender that cannot run here.
/// </summary>
internal static class GpuRankCommand
{
    public const string Name = "gpu-rank";
    public const string NotRunPrefix = "gpu-rank not-run ";
    public const int Hidden = 4096;
    private const float Eps = 1e-6f;

    public static int Execute(string[] args)
    {
        int[] tokens = [];
        int repeats = 0;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--tokens" when i + 1 < args.Length:
                    tokens = args[++i].Split(',').Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToArray();
                    break;
                case "--repeats" when i + 1 < args.Length:
                    repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
            }
        }
        if (tokens.Length == 0 || tokens.Any(t => t <= 0) || repeats <= 0)
        {
            Console.Error.WriteLine($"usage: kernels-perf {Name} --tokens t,... --repeats r");
            return 2;
        }

        using Communicator host = Communicator.FromEnvironment(new CommunicatorOptions { Timeout = TimeSpan.FromMinutes(2) });
        CudaDevice device;
        try
        {
            device = CudaDevice.Open(host.Rank);
        }
        catch (CudaUnavailableException e)
        {
            Console.Error.WriteLine($"{Name} rank {host.Rank}: no GPU {host.Rank}: {e.Message}");
            return 1;
        }
        using (device)
            return Measure(host, device, tokens, repeats);
    }

    private static int Measure(Communicator host, CudaDevice device, int[] tokens, int repeats)
    {
        using CudaStream stream = CudaStream.Create(device);
        using NcclCommunicator? nccl = Contender(host, () => NcclCommunicator.Create(host, device), CudaFamilies.NcclAllReduce);
        using CudaFusedAllReduce? fused = Contender(host,
            () => CudaFusedAllReduce.Create(host, device, (long)tokens.Max() * Hidden * 2), CudaFamilies.FusedAllReduceRmsNorm);
        using DeviceBuffer<BFloat16> weight = FilledDeviceBuffer.Allocate(device, Hidden, (BFloat16)1f);
        foreach (int t in tokens)
        {
            int count = t * Hidden;
            // Rank r contributes r + 1: the sum n(n+1)/2 is exact in bf16, and RMSNorm of a row of one positive value is 1,
            // whatever the residual has grown to, so every result element has a known exact value.
            using DeviceBuffer<BFloat16> x = FilledDeviceBuffer.Allocate(device, count, (BFloat16)(host.Rank + 1f));
            using DeviceBuffer<BFloat16> reduced = DeviceBuffer<BFloat16>.Allocate(device, count);
            using DeviceBuffer<BFloat16> residual = FilledDeviceBuffer.Allocate(device, count, (BFloat16)0f);
            // A zeroed output per contender, so that one's results never pass for the other's.
            using DeviceBuffer<BFloat16> yUnfused = FilledDeviceBuffer.Allocate(device, count, (BFloat16)0f);
            using DeviceBuffer<BFloat16> yFused = FilledDeviceBuffer.Allocate(device, count, (BFloat16)0f);
            float sum = host.Size * (host.Size + 1) / 2f;
            if (nccl != null)
            {
                void Drain() => nccl.Synchronize(stream);
                Report(host, CudaFamilies.NcclAllReduce, "NCCL", "nccl", count, repeats, reduced, sum, Time(host, device, stream, repeats,
                    () => nccl.AllReduce(x, reduced, ReduceOp.Sum, stream), Drain));
                Report(host, CudaFamilies.NcclAllReduceThenRmsNorm, "NCCL + Kernels", "nccl+add_rmsnorm", count, repeats, yUnfused, 1f, Time(host, device, stream, repeats,
                    () =>
                    {
                        nccl.AllReduce(x, reduced, ReduceOp.Sum, stream);
                        CudaRmsNorm.AddRmsNorm(reduced, residual, weight, yUnfused, Hidden, Eps, stream);
                    }, Drain));
            }
            if (fused != null)
            {
                Report(host, CudaFamilies.FusedAllReduceRmsNorm, "Kernels", "fused", count, repeats, yFused, 1f, Time(host, device, stream, repeats,
                    () => fused.AllReduceAddRmsNorm(x, residual, weight, yFused, Hidden, Eps, stream), () => fused.Synchronize(stream)));
            }
        }
        return 0;
    }

    /// <summary>The contender, or null after rank 0 printed why it cannot run here (no NCCL, no peer access).</summary>
    private static T? Contender<T>(Communicator host, Func<T> create, string implementation) where T : class
    {
        try
        {
            return create();
        }
        catch (Exception e) when (e is CudaUnavailableException or NotSupportedException)
        {
            if (host.Rank == 0)
                Console.WriteLine($"{NotRunPrefix}{implementation}: {e.Message}");
            return null;
        }
    }

    private static double Time(Communicator host, CudaDevice device, CudaStream stream, int repeats, Action call, Action drain) =>
        CudaEventTiming.SecondsPerCall(device, stream, repeats, call, drain, () => host.Barrier());

    /// <summary>Rank 0 prints the case with the ranks' mean time and the elements of <paramref name="result"/> that are not
    /// <paramref name="expected"/> on all ranks together.</summary>
    private static void Report(Communicator host, string implementation, string library, string algorithm, int count, int repeats,
        DeviceBuffer<BFloat16> result, float expected, double seconds)
    {
        var values = new BFloat16[count];
        result.CopyTo(values);
        double[] mine = [seconds, values.Count(v => (float)v != expected)];
        var all = new double[mine.Length * host.Size];
        host.AllGather<double>(mine, all);
        if (host.Rank != 0)
            return;
        double meanSeconds = Enumerable.Range(0, host.Size).Average(r => all[2 * r]);
        long wrong = (long)Enumerable.Range(0, host.Size).Sum(r => all[2 * r + 1]);
        Console.WriteLine(PeerCase.From(implementation, library, CollectiveNames.AllReduce, algorithm,
            host.Size, 2L * count, count, meanSeconds, (long)repeats * host.Size, wrong).ToJsonLine());
    }
}
