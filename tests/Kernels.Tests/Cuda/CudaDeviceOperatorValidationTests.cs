using Kernels.Compression;
using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The checks the new device operators make before anything is launched that need no GPU: unsupported element types, a
/// missing stream, out-of-range sizes, and the buffer-size helpers. Checks that need device buffers run in
/// <see cref="GpuCompressionTests"/> (ignored where there is no device).
/// </summary>
public class CudaDeviceOperatorValidationTests
{
    [Test]
    public void UnsupportedElementTypesAreRejectedFirst()
    {
        Assert.That(() => CudaOneBit.Compress<int>(null!, null!, null!, 16, OneBitScale.MeanAbs, null!), Throws.TypeOf<NotSupportedException>());
        Assert.That(() => CudaOneBit.Decompress<double>(null!, null!, null!, 16, null!), Throws.TypeOf<NotSupportedException>());
        Assert.That(() => CudaAttentionMerge.Merge<int>(null!, null!, null!, null!, null!, null!, 4, null!), Throws.TypeOf<NotSupportedException>());
    }

    [Test]
    public void AMissingStreamIsNamed()
    {
        Assert.That(() => CudaOneBit.Compress<float>(null!, null!, null!, 16, OneBitScale.MeanAbs, null!),
            Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(() => CudaOneBit.CompressWithResidual<float>(null!, null!, null!, null!, 16, OneBitScale.MeanAbs, null!),
            Throws.ArgumentNullException.With.Property("ParamName").EqualTo("residual"));
        Assert.That(() => CudaTopK.Select(null!, null!, null!, null!, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(() => CudaErrorFeedback.Difference(null!, null!, null!, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(() => CudaAttentionMerge.Merge<float>(null!, null!, null!, null!, null!, null!, 4, null!),
            Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(() => CudaPowerSgd.Orthonormalize(null!, 4, 0f, null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
    }

    [Test]
    public void BufferSizeHelpersFollowTheFormats()
    {
        Assert.That(CudaOneBit.SignWords(0), Is.Zero);
        Assert.That(CudaOneBit.SignWords(33), Is.EqualTo(2));
        Assert.That(CudaOneBit.SignWords(int.MaxValue), Is.EqualTo(67108864));
        Assert.That(CudaOneBit.Chunks(2049, 2048), Is.EqualTo(2));
        Assert.That(CudaOneBit.Chunks(int.MaxValue, 1), Is.EqualTo(int.MaxValue));
    }
}
