using System.Diagnostics;
using Kernels.Cuda;
using Kernels.Perf.Core;

namespace Kernels.Perf.Cuda;

/// <summary>
/// What a process pays to get the kernel set of cuda/ (every program, all name expressions) for compute_80: a cold NVRTC
/// compile (fresh cache folder), a warm disk-cache load (a new compiler on the filled folder: read, hash check, no NVRTC), and
/// an in-memory hit (the same compiler again). Medians over repeats; NVRTC only, no GPU needed.
/// </summary>
internal static class CompileCacheCase
{
    public static BenchmarkItem Item(BenchmarkContext context) =>
        new($"{CudaFamilies.Group}/compile-cache", context.Options.Quick ? 4 : 10, Run);

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context)
    {
        IReadOnlyList<CudaProgramSource> programs = CudaKernelSources.All;
        CudaArchitecture architecture = CudaArchitecture.Compute(8, 0);
        string shape = $"{programs.Count} programs, {programs.Sum(p => p.NameExpressions.Count)} kernels, {architecture.Name}";
        int coldRepeats = context.Options.Quick ? 1 : 3, warmRepeats = context.Options.Quick ? 5 : 20, memoryRepeats = 200;
        var folders = new List<string>();
        try
        {
            string NewFolder()
            {
                string folder = Directory.CreateTempSubdirectory("kernels-perf-nvrtc-").FullName;
                folders.Add(folder);
                return folder;
            }
            void CompileAll(NvrtcCompiler compiler)
            {
                foreach (CudaProgramSource program in programs)
                    compiler.Compile(program, architecture);
            }

            double cold = Median(coldRepeats, () => CompileAll(new NvrtcCompiler(NewFolder())));
            string filled = NewFolder();
            var resident = new NvrtcCompiler(filled);
            CompileAll(resident);
            double warm = Median(warmRepeats, () => CompileAll(new NvrtcCompiler(filled)));
            double memory = Median(memoryRepeats, () => CompileAll(resident));
            return
            [
                Row(CudaFamilies.ColdCompile, shape, cold, coldRepeats),
                Row(CudaFamilies.WarmDiskCache, shape, warm, warmRepeats),
                Row(CudaFamilies.MemoryHit, shape, memory, memoryRepeats),
            ];
        }
        catch (CudaUnavailableException e)
        {
            return [NotRun(shape, $"NVRTC unavailable: {e.Message}")];
        }
        finally
        {
            foreach (string folder in folders)
                Directory.Delete(folder, recursive: true);
        }
    }

    private static double Median(int repeats, Action call)
    {
        var seconds = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(seconds);
        return seconds[repeats / 2];
    }

    private static Measurement Row(string implementation, string shape, double seconds, int calls) =>
        new(CudaFamilies.Group, CudaFamilies.Compile, implementation, "", 0, shape, 1, seconds, 0, seconds * 1e3, "ms", null, calls);

    private static Measurement NotRun(string shape, string reason) =>
        new(CudaFamilies.Group, CudaFamilies.Compile, CudaFamilies.ColdCompile, "", 0, shape, 1, double.NaN, 0, double.NaN, "ms", null, 0, reason);
}
