using Kernels.Attention;
using Kernels.Compression;
using Kernels.Cuda;
using Kernels.Execution;
using Kernels.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The compression, error-feedback, merge and PowerSGD device operators on a real GPU against the CPU kernels (bit for bit
/// where the emulator tests are), and their buffer checks. Ignored with the reason where there is no device.
/// </summary>
public unsafe class GpuCompressionTests : GpuFixture
{
    [Test]
    public void OneBitWithResidualMatchesCpuBitForBit([Values] OneBitScale scale)
    {
        const int n = 5000, chunk = 100;
        float[] g = EmulatedOneBitTests.WithSpecials<float>(n, 1), e = EmulatedOneBitTests.WithSpecials<float>(n, 2);
        uint[] expectedSigns = new uint[CudaOneBit.SignWords(n)];
        float[] expectedScales = new float[CudaOneBit.Chunks(n, chunk)], expectedResidual = new float[n], decompressed = new float[n];
        var kind = scale == OneBitScale.Rms ? kn_scale_kind.KN_SCALE_RMS : kn_scale_kind.KN_SCALE_MEAN_ABS;
        fixed (float* pg = g, pe = e, ps = expectedScales, pn = expectedResidual)
        fixed (uint* pw = expectedSigns)
            Native.Check(NativeMethods.kn_onebit_compress_ef_typed(kn_dtype.KN_F32, pg, pe, n, chunk, kind, pw, ps, pn));

        using DeviceBuffer<float> dg = Upload(g), de = Upload(e), dd = DeviceBuffer<float>.Allocate(Device, n);
        using var signs = DeviceBuffer<uint>.Allocate(Device, expectedSigns.Length);
        using var scales = DeviceBuffer<float>.Allocate(Device, expectedScales.Length);
        CudaOneBit.CompressWithResidual(dg, de, signs, scales, chunk, scale, DeviceStream);
        CudaOneBit.Decompress(signs, scales, dd, chunk, DeviceStream);
        DeviceStream.Synchronize();
        Assert.That(Download(signs), Is.EqualTo(expectedSigns));
        Compare.Bitwise<float>(Download(scales), expectedScales, "scales");
        Compare.Bitwise<float>(Download(de), expectedResidual, "residual");
        Assert.That(() => CudaOneBit.Compress(dg, signs, scales, chunk + 1, scale, DeviceStream),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("scales"));
    }

    [Test]
    public void TopKMatchesCpuSelection()
    {
        const int n = 100_003, k = 1000;
        float[] x = EmulatedOneBitTests.WithSpecials<float>(n, 3);
        uint[] expectedIndices = new uint[k];
        float[] expectedValues = new float[k];
        fixed (float* px = x, pv = expectedValues)
        fixed (uint* pi = expectedIndices)
            Native.Check(NativeMethods.kn_topk_exact(px, n, k, pi, pv));
        using DeviceBuffer<float> dx = Upload(x), values = DeviceBuffer<float>.Allocate(Device, k);
        using var indices = DeviceBuffer<uint>.Allocate(Device, k);
        using var workspace = DeviceBuffer<uint>.Allocate(Device, CudaTopK.WorkspaceWords(n));
        CudaTopK.Select(dx, indices, values, workspace, DeviceStream);
        DeviceStream.Synchronize();
        Assert.That(Download(indices), Is.EqualTo(expectedIndices));
        Compare.Bitwise<float>(Download(values), expectedValues, "values");
        using var small = DeviceBuffer<uint>.Allocate(Device, 16);
        Assert.That(() => CudaTopK.Select(dx, indices, values, small, DeviceStream), Throws.ArgumentException.With.Property("ParamName").EqualTo("workspace"));
    }

    [Test]
    public void Ef21StepsMatchCpuBitForBit()
    {
        const int n = 4099;
        float[] g = EmulatedOneBitTests.WithSpecials<float>(n, 4), h = EmulatedOneBitTests.WithSpecials<float>(n, 5);
        float[] expected = ResidualArithmetic.Difference(g, h);
        using DeviceBuffer<float> dg = Upload(g), dh = Upload(h), difference = DeviceBuffer<float>.Allocate(Device, n);
        CudaErrorFeedback.Difference(dg, dh, difference, DeviceStream);
        CudaErrorFeedback.Accumulate(dh, difference, DeviceStream);
        DeviceStream.Synchronize();
        Compare.Bitwise<float>(Download(difference), expected, "g - h");
        ResidualArithmetic.Accumulate(h, expected);
        Compare.Bitwise<float>(Download(dh), h, "h += d");
        using var shorter = DeviceBuffer<float>.Allocate(Device, n - 1);
        Assert.That(() => CudaErrorFeedback.Difference(dg, dh, shorter, DeviceStream), Throws.ArgumentException.With.Property("ParamName").EqualTo("difference"));
    }

    [Test]
    public void MergeMatchesCpuToRounding()
    {
        const int rows = 61, dim = 72;
        float[] oA = Samples.Uniform<float>(rows * dim, 6), oB = Samples.Uniform<float>(rows * dim, 7);
        float[] lseA = Samples.Uniform<float>(rows, 8), lseB = Samples.Uniform<float>(rows, 9);
        float[] expected = new float[oA.Length], expectedLse = new float[rows];
        AttentionMerge.Merge<float>(oA, lseA, oB, lseB, expected, expectedLse, dim);
        using DeviceBuffer<float> da = Upload(oA), db = Upload(oB), la = Upload(lseA), lb = Upload(lseB);
        CudaAttentionMerge.Merge(da, la, db, lb, da, la, dim, DeviceStream);
        DeviceStream.Synchronize();
        Compare.Near<float>(Download(la), expectedLse.Select(v => (double)v).ToArray(), 4, "lse");
        Compare.Near<float>(Download(da), expected.Select(v => (double)v).ToArray(), 2, "o", relative: 1e-5);
    }

    [Test]
    public void PowerSgdProductsAndOrthogonalisationMatchCpu()
    {
        const int rows = 300, cols = 170, rank = 4;
        float[] m = Samples.Uniform<float>(rows * cols, 10), q = Samples.Uniform<float>(cols * rank, 11);
        float[] expectedP = new float[rows * rank];
        fixed (float* pm = m, pq = q, pp = expectedP)
        {
            Native.Check(NativeMethods.kn_lowrank_m_q(pm, pq, pp, rows, cols, rank));
            Native.Check(NativeMethods.kn_orthonormalize_columns(pp, rows, rank, 1e-8f));
        }
        using DeviceBuffer<float> dm = Upload(m), dq = Upload(q), dp = DeviceBuffer<float>.Allocate(Device, rows * rank);
        CudaPowerSgd.MultiplyByQ(dm, dq, dp, rows, rank, DeviceStream);
        CudaPowerSgd.Orthonormalize(dp, rank, 1e-8f, DeviceStream);
        DeviceStream.Synchronize();
        float[] p = Download(dp);
        for (int i = 0; i < p.Length; i++)
            Assert.That(p[i], Is.EqualTo(expectedP[i]).Within(1e-3f), $"p[{i}]");
        Assert.That(() => CudaPowerSgd.MultiplyByQ(dm, dq, dp, rows, rank + 1, DeviceStream), Throws.ArgumentException.With.Property("ParamName").EqualTo("q"));
    }
}
