using Kernels.Tests.Cuda.Emulation;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The emulator's nvcuda::wmma (cuda/emu/mma.h) through its probe kernels (cuda/emu/wmma_probes.cu): d = a b + c through
/// row- and column-major operands, accumulators and stores against a float64 product, and the two misuses it must
/// report as failed launches rather than compute: a lane that skips mma_sync and a leading dimension CUDA rejects.
/// </summary>
public unsafe class EmulatorWmmaTests
{
    private static (kne_status Status, string Message) Run(kne_wmma_probe probe, float[] output)
    {
        fixed (float* p = output)
        {
            kne_status status = EmulatorMethods.kne_wmma_probe_run(probe, p);
            return (status, status == kne_status.KNE_OK ? "" : Emulator.LastError());
        }
    }

    [Test]
    public void ProductThroughEveryLayoutMatchesFloat64()
    {
        var output = new float[512];
        Assert.That(Run(kne_wmma_probe.KNE_WMMA_PROBE_PRODUCT, output).Status, Is.EqualTo(kne_status.KNE_OK));
        for (int warp = 0; warp < 2; warp++)
        for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
        {
            double expected = 0.5 * (i - j);
            for (int k = 0; k < 16; k++)
                expected += ((i * 3 + k * 5) % 7 - 3) * (double)((k * 2 + j) % 5 - 2);
            Assert.That(output[warp * 256 + i * 16 + j], Is.EqualTo(expected), $"warp {warp} d({i}, {j})");
        }
    }

    [Test]
    public void ALaneSkippingMmaSyncFailsTheLaunch()
    {
        var (status, message) = Run(kne_wmma_probe.KNE_WMMA_PROBE_DIVERGENT, new float[32]);
        Assert.That(status, Is.EqualTo(kne_status.KNE_LAUNCH_FAILED));
        Assert.That(message, Does.Contain("wmma::*_sync").And.Contain("kn_wmma_probe::divergent"));
    }

    [Test]
    public void ALeadingDimensionCudaRejectsTraps()
    {
        var (status, message) = Run(kne_wmma_probe.KNE_WMMA_PROBE_BAD_LEADING_DIMENSION, new float[32]);
        Assert.That(status, Is.EqualTo(kne_status.KNE_LAUNCH_FAILED));
        Assert.That(message, Does.Contain("__trap"));
    }
}
