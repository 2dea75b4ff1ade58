using System.Globalization;
using System.Text;
using Kernels.Perf.Core;
using Kernels.Perf.Report;

namespace Kernels.Perf.Cuda;

/// <summary>
/// The cuda group's part of the report: summary rows for the compile cache (and, when a GPU ran them, the device kernels,
/// FlashAttention and the fused all-reduce), and a section with the no-GPU line, the compile/cache timings, the device
/// bandwidth table, the FlashAttention GFLOP/s table, the multi-GPU all-reduce table and the ptxas resource table.
/// </summary>
public static class CudaReport
{
    /// <summary>Issue target: a warm disk-cache load at least this many times faster than a cold NVRTC compile.</summary>
    private const double WarmCacheTarget = 20;

    public static IEnumerable<Headline> Headlines(ResultSet results) => CompileAndBandwidthHeadlines(results).Concat(GpuHeadlines(results));

    private static IEnumerable<Headline> CompileAndBandwidthHeadlines(ResultSet results)
    {
        Measurement? cold = Compile(results, CudaFamilies.ColdCompile), warm = Compile(results, CudaFamilies.WarmDiskCache);
        Measurement? memory = Compile(results, CudaFamilies.MemoryHit);
        if (cold is { Ran: true } && warm is { Ran: true } && memory is { Ran: true })
        {
            yield return new Headline($"CUDA kernel set ({cold.Shape}): warm disk-cache load vs cold NVRTC compile",
                HeadlineFigures.Ratio(cold.Seconds / warm.Seconds), $"cold compile time / warm load time; target >= {WarmCacheTarget}x");
            yield return new Headline("CUDA kernel set: in-memory hit vs cold NVRTC compile",
                HeadlineFigures.Ratio(cold.Seconds / memory.Seconds), "cold compile time / in-memory lookup time");
        }
        foreach (Measurement noGpu in results.All.Where(m => m.Family == CudaFamilies.Device && !m.Ran))
            yield return new Headline("CUDA device kernels (GB/s vs device copy)", "not run", noGpu.Note ?? "no GPU");
        Measurement? copy = Bandwidth(results).FirstOrDefault(m => m.Implementation == CudaFamilies.DeviceCopy);
        if (copy == null)
            yield break;
        foreach (Measurement m in Bandwidth(results).Where(m => m.Implementation.Contains("rmsnorm", StringComparison.Ordinal)))
            yield return new Headline($"CUDA {m.Implementation} {m.Shape}", HeadlineFigures.Percent(100 * m.Value / copy.Value),
                "% of the device copy kernel's GB/s; target >= 85%");
    }

    /// <summary>Headlines of the GPU families: best FlashAttention GFLOP/s per pass, and the fused all-reduce + add + RMSNorm
    /// against NCCL all-reduce + our add + RMSNorm at the smallest and largest token counts.</summary>
    private static IEnumerable<Headline> GpuHeadlines(ResultSet results)
    {
        List<Measurement> peaks = results.All.Where(m => m.Family == CudaFamilies.WmmaPeak && m.Ran).ToList();
        foreach (string pass in new[] { CudaFamilies.AttentionForward, CudaFamilies.AttentionBackward })
        {
            Measurement? best = results.All.Where(m => m.Family == pass && m.Ran).MaxBy(m => m.Value);
            if (best != null)
                yield return new Headline($"CUDA FlashAttention {pass[(pass.LastIndexOf('.') + 1)..]} {best.DType} {best.Shape} (best shape)",
                    $"{best.Value:0} GFLOP/s ({PercentOfPeak(best, peaks)})", "% of the WMMA peak probe's GFLOP/s, same run");
        }
        List<(Measurement Fused, Measurement Unfused)> pairs = FusedPairs(results);
        foreach ((Measurement fused, Measurement unfused) in pairs.Count > 1 ? [pairs[0], pairs[^1]] : pairs)
            yield return new Headline($"CUDA fused all-reduce + add + RMSNorm, {fused.Threads} GPUs, {fused.Shape} bf16",
                HeadlineFigures.Ratio(unfused.Seconds / fused.Seconds), "NCCL all-reduce + our add + RMSNorm time / fused time");
        foreach (Measurement notRun in results.All.Where(m => m.Family == CudaFamilies.AllReduce && !m.Ran))
            yield return new Headline($"CUDA multi-GPU all-reduce: {notRun.Implementation}", "not run", notRun.Note ?? "");
    }

    public static string Section(ResultSet results)
    {
        List<Measurement> rows = results.All.Where(m => m.Group == CudaFamilies.Group).ToList();
        if (rows.Count == 0)
            return "";
        var md = new StringBuilder("## CUDA").AppendLine().AppendLine();
        foreach (Measurement noGpu in rows.Where(m => m.Family == CudaFamilies.Device))
            md.AppendLine(noGpu.Note).AppendLine();
        CompileTable(md, rows);
        BandwidthTable(md, Bandwidth(results));
        AttentionTable(md, rows.Where(m => m.Family is CudaFamilies.AttentionForward or CudaFamilies.AttentionBackward && m.Ran).ToList(),
            rows.Where(m => m.Family == CudaFamilies.WmmaPeak && m.Ran).ToList());
        AllReduceTable(md, results, rows.Where(m => m.Family == CudaFamilies.AllReduce).ToList());
        PtxasTable(md, rows.Where(m => m.Family == CudaFamilies.Ptxas).ToList());
        return md.ToString();
    }

    private static void CompileTable(StringBuilder md, List<Measurement> rows)
    {
        List<Measurement> compile = rows.Where(m => m.Family == CudaFamilies.Compile).ToList();
        if (compile.Count == 0)
            return;
        Measurement? cold = compile.FirstOrDefault(m => m.Implementation == CudaFamilies.ColdCompile && m.Ran);
        md.AppendLine($"### Getting the kernel set ({compile[0].Shape})").AppendLine()
            .AppendLine("| path | median ms | repeats | cold / this |").AppendLine("|---|---|---|---|");
        foreach (Measurement m in compile)
        {
            string ratio = cold == null || !m.Ran ? "—" : HeadlineFigures.Ratio(cold.Seconds / m.Seconds);
            string ms = m.Ran ? m.Value.ToString("0.000", CultureInfo.InvariantCulture) : $"not run: {m.Note}";
            md.AppendLine($"| {m.Implementation} | {ms} | {m.Calls} | {ratio} |");
        }
        md.AppendLine();
    }

    private static void BandwidthTable(StringBuilder md, List<Measurement> bandwidth)
    {
        Measurement? copy = bandwidth.FirstOrDefault(m => m.Implementation == CudaFamilies.DeviceCopy);
        if (copy == null)
            return;
        md.AppendLine($"### Device kernels ({copy.Shape})").AppendLine()
            .AppendLine("| kernel | GB/s | % of device copy |").AppendLine("|---|---|---|");
        foreach (Measurement m in bandwidth)
            md.AppendLine($"| {m.Implementation} | {m.Value:0.0} | {HeadlineFigures.Percent(100 * m.Value / copy.Value)} |");
        md.AppendLine();
    }

    private static void AttentionTable(StringBuilder md, List<Measurement> attention, List<Measurement> peaks)
    {
        if (attention.Count == 0)
            return;
        md.AppendLine("### FlashAttention on the GPU (FLOPs: 4 b h s_q s_k d, halved if causal; backward 2.5x)").AppendLine();
        foreach (Measurement peak in peaks)
            md.AppendLine($"WMMA peak probe, {peak.DType}: {peak.Value:0} GFLOP/s ({peak.Shape}).").AppendLine();
        md.AppendLine("| pass | dtype | shape | ms | GFLOP/s | % of WMMA peak |").AppendLine("|---|---|---|---|---|---|");
        foreach (Measurement m in attention)
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {m.Family[(m.Family.LastIndexOf('.') + 1)..]} | {m.DType} | {m.Shape} | {m.Seconds * 1e3:0.000} | {m.Value:0} | {PercentOfPeak(m, peaks)} |"));
        md.AppendLine();
    }

    private static string PercentOfPeak(Measurement m, List<Measurement> peaks) =>
        peaks.FirstOrDefault(p => p.DType == m.DType) is { } peak ? HeadlineFigures.Percent(100 * m.Value / peak.Value) : "—";

    private static void AllReduceTable(StringBuilder md, ResultSet results, List<Measurement> allReduce)
    {
        foreach (Measurement notRun in allReduce.Where(m => !m.Ran))
            md.AppendLine($"Multi-GPU, {notRun.Implementation} not run: {notRun.Note}").AppendLine();
        List<Measurement> ran = allReduce.Where(m => m.Ran).ToList();
        if (ran.Count == 0)
            return;
        Dictionary<string, double> unfused = FusedPairs(results).ToDictionary(p => p.Fused.Shape, p => p.Unfused.Seconds);
        md.AppendLine($"### All-reduce across {ran[0].Threads} GPUs (bf16; busbw = S / t x 2(n-1)/n, as nccl-tests)").AppendLine()
            .AppendLine("| contender | tokens x hidden | time us | busbw GB/s | #wrong | NCCL + add+RMSNorm time / this |")
            .AppendLine("|---|---|---|---|---|---|");
        foreach (Measurement m in ran.OrderBy(m => m.SizeBytes).ThenBy(m => m.Implementation, StringComparer.Ordinal))
        {
            string ratio = m.Implementation == CudaFamilies.FusedAllReduceRmsNorm && unfused.TryGetValue(m.Shape, out double seconds)
                ? HeadlineFigures.Ratio(seconds / m.Seconds) : "—";
            md.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {m.Implementation} | {m.Shape} | {m.Seconds * 1e6:0.0} | {m.Value:0.00} | {m.Wrong} | {ratio} |"));
        }
        md.AppendLine();
    }

    private static List<(Measurement Fused, Measurement Unfused)> FusedPairs(ResultSet results)
    {
        List<Measurement> ran = results.All.Where(m => m.Family == CudaFamilies.AllReduce && m.Ran).ToList();
        return ran.Where(m => m.Implementation == CudaFamilies.FusedAllReduceRmsNorm)
            .Select(f => (Fused: f, Unfused: ran.FirstOrDefault(u => u.Implementation == CudaFamilies.NcclAllReduceThenRmsNorm && u.Shape == f.Shape)))
            .Where(p => p.Unfused != null)
            .Select(p => (p.Fused, p.Unfused!))
            .OrderBy(p => p.Fused.SizeBytes)
            .ToList();
    }

    private static void PtxasTable(StringBuilder md, List<Measurement> ptxas)
    {
        if (ptxas.Count == 0)
            return;
        md.AppendLine("### ptxas -v resources (NVRTC PTX for compute_80/90, assembled for sm_80/90)").AppendLine();
        if (ptxas.All(m => !m.Ran))
        {
            md.AppendLine($"Not measured: {ptxas[0].Note}").AppendLine();
            return;
        }
        md.AppendLine("| kernel | file | arch | registers | static smem B | stack B | spill B |").AppendLine("|---|---|---|---|---|---|---|");
        foreach (Measurement m in ptxas.OrderBy(m => m.Shape, StringComparer.Ordinal).ThenBy(m => m.Implementation, StringComparer.Ordinal).ThenBy(m => m.DType))
            md.AppendLine($"| `{m.Implementation}` | {m.Shape} | {m.DType} | {m.Value:0} | {m.SizeBytes} | {m.Note} | {m.BytesMoved} |");
        md.AppendLine();
    }

    private static Measurement? Compile(ResultSet results, string implementation) =>
        results.All.FirstOrDefault(m => m.Family == CudaFamilies.Compile && m.Implementation == implementation);

    private static List<Measurement> Bandwidth(ResultSet results) =>
        results.All.Where(m => m.Family == CudaFamilies.DeviceBandwidth && m.Ran).ToList();
}
