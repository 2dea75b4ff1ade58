using System.Text;
using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Every kernel of cuda/ compiles with NVRTC for compute_80 and compute_90 and assembles with ptxas for sm_80 and
/// sm_90 without spilling. The resource table (registers, shared memory, stack, spills) is written to the test output.
/// </summary>
[NonParallelizable]
public class NvrtcCompileTests
{
    private static readonly int[] Generations = [8, 9];

    private string _cacheDirectory = "";

    [SetUp]
    public void FreshCache() => _cacheDirectory = Directory.CreateTempSubdirectory("kernels-nvrtc-").FullName;

    [TearDown]
    public void RemoveCache() => Directory.Delete(_cacheDirectory, recursive: true);

    internal static IEnumerable<TestCaseData> Programs() =>
        CudaKernelSources.All.Select(program => new TestCaseData(program.Name).SetArgDisplayNames(program.Name));

    internal static CudaProgramSource Program(string name) => CudaKernelSources.All.Single(p => p.Name == name);

    [TestCaseSource(nameof(Programs))]
    public void CompilesAndAssemblesWithoutSpills(string programName)
    {
        CudaToolchain.RequireNvrtc();
        CudaProgramSource program = Program(programName);
        var compiler = new NvrtcCompiler(_cacheDirectory);
        var table = new StringBuilder($"| kernel | arch | registers | static smem B | stack B | spill stores B | spill loads B |{Environment.NewLine}|---|---|---|---|---|---|---|{Environment.NewLine}");
        foreach (int major in Generations)
        {
            CompiledProgram compiled = compiler.Compile(program, CudaArchitecture.Compute(major, 0));
            Assert.That(compiled.Kind, Is.EqualTo(CudaImageKind.Ptx));
            Assert.That(compiled.LoweredNames.Keys, Is.EquivalentTo(program.NameExpressions));
            var resources = PtxasResources.Parse(CudaToolchain.AssembleVerbose(compiled.Image, CudaArchitecture.Sm(major, 0)))
                .ToDictionary(r => r.MangledName);
            foreach (var (expression, lowered) in compiled.LoweredNames.OrderBy(n => n.Key, StringComparer.Ordinal))
            {
                Assert.That(resources.TryGetValue(lowered, out KernelResources? r), $"ptxas reported nothing for {expression} ({lowered})");
                table.AppendLine($"| `{expression}` | sm_{major}0 | {r!.Registers} | {r.StaticSharedBytes} | {r.StackFrameBytes} | {r.SpillStoreBytes} | {r.SpillLoadBytes} |");
                Assert.That(r.SpillStoreBytes + r.SpillLoadBytes, Is.Zero, $"{expression} spills on sm_{major}0");
            }
        }
        TestContext.Out.WriteLine(table.ToString());
    }

    [Test]
    public void EmbeddedSourcesAreEveryKernelFileOfCudaFolder()
    {
        string cudaFolder = Path.Combine(RepositoryFiles.Root(), "cuda");
        var onDisk = Directory.GetFiles(cudaFolder, "*.cu").Select(Path.GetFileName).Order().ToArray();
        Assert.That(CudaKernelSources.All.Select(p => p.Name).Order().ToArray(), Is.EqualTo(onDisk));
        Assert.That(CudaKernelSources.Reduce.Headers.Keys, Is.EquivalentTo(Directory.GetFiles(cudaFolder, "*.cuh").Select(Path.GetFileName)));
    }
}
