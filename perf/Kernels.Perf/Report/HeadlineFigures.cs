using System.Globalization;
using Kernels.Perf.Attention;
using Kernels.Perf.Collectives;
using Kernels.Perf.Compression;
using Kernels.Perf.Cuda;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;

namespace Kernels.Perf.Report;

/// <summary>One row of the summary table.</summary>
public sealed record Headline(string Figure, string Value, string Against);

/// <summary>
/// The few ratios the project is judged by, computed from one run: large-size bandwidth as % of
/// STREAM, add+RMSNorm and RMSNorm at 4096 x 4096 against ORT and TensorPrimitives, and the single-row
/// overhead against the native loop.
/// </summary>
public static class HeadlineFigures
{
    private const long HeadlineBytesF32 = (long)KernelSizes.HeadlineRows * KernelSizes.NormCols * sizeof(float);

    public static IReadOnlyList<Headline> From(ResultSet results)
    {
        var rows = new List<Headline>();
        foreach ((string family, string dtype, string title) in new[]
        {
            ("reduce.combine", "f32", "Reduce.Combine f32"), ("reduce.combine", "bf16", "Reduce.Combine bf16"),
            ("reduce.accumulate", "f32", "Reduce.Accumulate f32"),
            ("rmsnorm", "f32", "RMSNorm f32"), ("rmsnorm", "bf16", "RMSNorm bf16"),
            ("add_rmsnorm", "f32", "add+RMSNorm f32"), ("add_rmsnorm", "bf16", "add+RMSNorm bf16"),
        })
        {
            List<Measurement> large = results.Ours(family, dtype).Where(m => m.SizeBytes >= KernelCase.LargeBytes && m.Ran).ToList();
            if (large.Count > 0)
            {
                rows.Add(new Headline($"{title}, >= 16 MiB", string.Join(" · ", large.Select(m =>
                    $"{KernelSizes.Label(m.SizeBytes)}: {Percent(results.PercentOfLimit(m))}")), $"% of STREAM {large[0].Limit} (all cores, timed in turns)"));
            }
        }
        foreach ((string family, string title, string ortOp) in new[]
        {
            ("add_rmsnorm", "add+RMSNorm", "SkipSimplifiedLayerNormalization"),
            ("rmsnorm", "RMSNorm", "SimplifiedLayerNormalization"),
        })
        {
            foreach (ElementType type in new[] { ElementType.F32, ElementType.BF16 })
            {
                long bytes = HeadlineBytesF32 / sizeof(float) * type.Size;
                Measurement? ours = results.Find(family, type.Name, bytes, Implementations.Ours);
                if (ours is null)
                {
                    continue;
                }
                rows.Add(new Headline($"{title} 4096 x 4096 {type.Name} vs ONNX Runtime",
                    SpeedUp(results, ours, Implementations.OnnxRuntime), $"ORT {ortOp} time / ours"));
                rows.Add(new Headline($"{title} 4096 x 4096 {type.Name} vs TensorPrimitives",
                    SpeedUp(results, ours, Implementations.TensorPrimitives), "best TensorPrimitives composition time / ours"));
            }
        }
        foreach (string kernel in new[] { "add_rmsnorm", "rmsnorm" })
        {
            Measurement? ours = results.All.FirstOrDefault(m => m.Family == $"single-row.{kernel}" && m.Implementation == Implementations.Ours);
            Measurement? native = results.All.FirstOrDefault(m => m.Family == $"single-row.{kernel}" && m.Implementation == Implementations.NativeLoop);
            if (ours is not null && native is not null)
            {
                rows.Add(new Headline($"one 1 x 4096 {kernel} row, managed API vs native loop",
                    Ratio(ours.Seconds / native.Seconds) + $" ({ours.Value:0} ns vs {native.Value:0} ns)", "our time / tight native loop (widest vectors) time; target <= 2x"));
            }
        }
        rows.AddRange(CompressionReport.Headlines(results));
        rows.AddRange(CollectivesReport.Headlines(results));
        rows.AddRange(AttentionReport.Headlines(results));
        rows.AddRange(CudaReport.Headlines(results));
        return rows;
    }

    private static string SpeedUp(ResultSet results, Measurement ours, string peer)
    {
        double ratio = results.SpeedUp(ours, peer);
        if (!double.IsNaN(ratio))
        {
            return Ratio(ratio);
        }
        Measurement? other = results.Find(ours.Family, ours.DType, ours.SizeBytes, peer);
        return other?.Note is { } note ? $"n/a ({note})" : "n/a";
    }

    public static string Ratio(double ratio) => double.IsNaN(ratio) ? "n/a" : ratio.ToString("0.00", CultureInfo.InvariantCulture) + "x";

    public static string Percent(double percent) => double.IsNaN(percent) ? "n/a" : percent.ToString("0", CultureInfo.InvariantCulture) + "%";
}
