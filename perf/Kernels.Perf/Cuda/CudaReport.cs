using System.Globalization;
using System.Text;
using Kernels.Perf.Core;
using Kernels.Perf.Report;

namespace Kernels.Perf.Cuda;

/// <summary>
/// The cuda group's part of the report: summary rows for the compile cache (and the device kernels when a GPU ran them), and a
/// section with the no-GPU line, the compile/cache timings, the device bandwidth table and the ptxas resource table.
/// </summary>
public static class CudaReport
{
    /// <summary>Issue target: a warm disk-cache load at least this many times faster than a cold NVRTC compile.</summary>
    private const double WarmCacheTarget = 20;

    public static IEnumerable<Headline> Headlines(ResultSet results)
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
