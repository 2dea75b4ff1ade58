using Kernels.Cuda;
using Kernels.Perf.Core;

namespace Kernels.Perf.Cuda;

/// <summary>
/// The ptxas -v resource table of every kernel of cuda/ (and of the group's WMMA peak probe) for sm_80 and sm_90 (NVRTC PTX for compute_80/90, then ptxas). One
/// row per kernel and architecture: Implementation = the kernel's name expression, DType = the architecture, Value = registers,
/// SizeBytes = static shared memory, BytesMoved = spill stores + loads, Note = the stack frame in bytes. Not a timing.
/// </summary>
internal static class PtxasTableCase
{
    private static readonly int[] Generations = [8, 9];

    public static BenchmarkItem Item() => new($"{CudaFamilies.Group}/ptxas", 6, Run);

    private static IReadOnlyList<Measurement> Run(BenchmarkContext context)
    {
        string? ptxas = PtxasResources.Locate();
        if (ptxas == null)
            return [NotRun("ptxas not found on CUDA_PATH, /usr/local/cuda/bin or PATH")];
        string folder = Directory.CreateTempSubdirectory("kernels-perf-ptxas-").FullName;
        try
        {
            var compiler = new NvrtcCompiler(folder);
            var rows = new List<Measurement>();
            foreach (int major in Generations)
            foreach (CudaProgramSource program in CudaKernelSources.All.Append(WmmaPeakProbe.Source))
            {
                CompiledProgram compiled = compiler.Compile(program, CudaArchitecture.Compute(major, 0));
                CudaArchitecture real = CudaArchitecture.Sm(major, 0);
                Dictionary<string, KernelResources> resources = PtxasResources.Parse(PtxasResources.AssembleVerbose(ptxas, compiled.Image, real))
                    .ToDictionary(r => r.MangledName);
                foreach (var (expression, lowered) in compiled.LoweredNames.OrderBy(n => n.Key, StringComparer.Ordinal))
                {
                    KernelResources r = resources[lowered];
                    rows.Add(new Measurement(CudaFamilies.Group, CudaFamilies.Ptxas, expression, real.Name, r.StaticSharedBytes, program.Name, 1, 0,
                        r.SpillStoreBytes + r.SpillLoadBytes, r.Registers, "registers", null, 0, r.StackFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
            }
            return rows;
        }
        catch (CudaUnavailableException e)
        {
            return [NotRun($"NVRTC unavailable: {e.Message}")];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static Measurement NotRun(string reason) =>
        new(CudaFamilies.Group, CudaFamilies.Ptxas, "", "", 0, "", 1, double.NaN, 0, double.NaN, "registers", null, 0, reason);
}
