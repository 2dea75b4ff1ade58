using ScottPlot;
using ScottPlot.TickGenerators;
using Kernels.Perf.Attention;
using Kernels.Perf.Collectives;
using Kernels.Perf.Compression;
using Kernels.Perf.Core;
using Kernels.Perf.Kernels;

namespace Kernels.Perf.Report;

/// <summary>
/// PNG charts: GB/s against size for each kernel and type, every contender as a line and the STREAM
/// limit as a dashed line; and the 4096 x 4096 norms with all contenders side by side.
/// </summary>
public static class Charts
{
    private const int Width = 1000;
    private const int Height = 560;

    /// <summary>Writes the charts into <paramref name="folder"/>; returns their file names.</summary>
    public static IReadOnlyList<string> Write(string folder, ResultSet results)
    {
        var files = new List<string>();
        foreach ((string family, IReadOnlyList<string> dtypes) in results.KernelFamilies())
        {
            foreach (string dtype in dtypes)
            {
                string file = $"{family}_{dtype.Replace("->", "_to_")}.png";
                BandwidthBySize(results, family, dtype).SavePng(Path.Combine(folder, file), Width, Height);
                files.Add(file);
            }
        }
        Plot? peers = HeadlinePeers(results);
        if (peers is not null)
        {
            const string file = "peers_4096x4096.png";
            peers.SavePng(Path.Combine(folder, file), Width, Height);
            files.Add(file);
        }
        files.AddRange(CompressionReport.WriteCharts(folder, results, Width, Height));
        files.AddRange(CollectivesReport.WriteCharts(folder, results, Width, Height));
        files.AddRange(AttentionReport.WriteCharts(folder, results, Width, Height));
        return files;
    }

    private static Plot BandwidthBySize(ResultSet results, string family, string dtype)
    {
        var plot = new Plot();
        List<Measurement> cases = results.All.Where(m => m.Family == family && m.DType == dtype).ToList();
        long[] sizes = cases.Select(m => m.SizeBytes).Distinct().Order().ToArray();
        foreach (IGrouping<string, Measurement> contender in cases.Where(m => m.Ran).GroupBy(m => m.Implementation))
        {
            Measurement[] points = contender.OrderBy(m => m.SizeBytes).ToArray();
            var line = plot.Add.Scatter(points.Select(m => Log2(m.SizeBytes)).ToArray(), points.Select(m => m.Value).ToArray());
            line.LegendText = contender.Key;
            line.LineWidth = contender.Key == Implementations.Ours ? 3 : 1.5f;
            line.MarkerSize = 6;
        }
        Measurement? any = cases.FirstOrDefault();
        if (any is not null && !double.IsNaN(results.LimitFor(any)))
        {
            var limit = plot.Add.HorizontalLine(results.LimitFor(any));
            limit.LinePattern = LinePattern.Dashed;
            limit.LegendText = $"STREAM {any.Limit}, all cores (run's best)";
        }
        plot.Axes.Bottom.TickGenerator = new NumericManual(sizes.Select(Log2).ToArray(), sizes.Select(KernelSizes.Label).ToArray());
        plot.Axes.SetLimitsY(0, cases.Where(m => m.Ran).Select(m => m.Value).Append(any is null ? 0 : results.LimitFor(any))
            .Where(v => !double.IsNaN(v)).DefaultIfEmpty(1).Max() * 1.1);
        bool rows = any?.Shape.Contains(" x ", StringComparison.Ordinal) == true;
        plot.Title($"{family} {dtype}: GB/s by operand size{(rows ? $" ({KernelSizes.NormCols}-wide rows)" : "")}");
        plot.XLabel("one operand, bytes in its own type");
        plot.YLabel("GB/s (bytes the kernel must move / time)");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    /// <summary>Grouped bars: (norm, type) groups at 4096 x 4096, one bar per contender.</summary>
    private static Plot? HeadlinePeers(ResultSet results)
    {
        var groups = new List<(string Label, List<Measurement> Contenders)>();
        foreach (string family in new[] { "rmsnorm", "add_rmsnorm" })
        {
            foreach (ElementType type in new[] { ElementType.F32, ElementType.BF16 })
            {
                long bytes = (long)KernelSizes.HeadlineRows * KernelSizes.NormCols * type.Size;
                List<Measurement> contenders = results.All
                    .Where(m => m.Family == family && m.DType == type.Name && m.SizeBytes == bytes && m.Ran).ToList();
                if (contenders.Count > 0)
                {
                    groups.Add(($"{family} {type.Name}", contenders));
                }
            }
        }
        if (groups.Count == 0)
        {
            return null;
        }
        var plot = new Plot();
        List<string> names = groups.SelectMany(g => g.Contenders.Select(m => m.Implementation)).Distinct().ToList();
        IPalette palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (int g = 0; g < groups.Count; g++)
        {
            foreach (Measurement m in groups[g].Contenders)
            {
                int slot = names.IndexOf(m.Implementation);
                bars.Add(new Bar { Position = g * (names.Count + 1) + slot, Value = m.Value, FillColor = palette.GetColor(slot) });
            }
        }
        plot.Add.Bars(bars);
        for (int slot = 0; slot < names.Count; slot++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = names[slot], FillColor = palette.GetColor(slot) });
        }
        plot.Axes.Bottom.TickGenerator = new NumericManual(
            groups.Select((_, g) => g * (names.Count + 1) + (names.Count - 1) / 2.0).ToArray(), groups.Select(g => g.Label).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title("4096 x 4096: GB/s of every contender (higher is better)");
        plot.YLabel("GB/s");
        plot.ShowLegend(Alignment.UpperRight);
        return plot;
    }

    private static double Log2(long bytes) => Math.Log2(bytes);
}
