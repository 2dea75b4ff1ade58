using Kernels.Attention;
using Kernels.Cuda;
using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>
/// The checks <see cref="CudaFlashAttention"/> makes before it touches a buffer or a device, so they run without a GPU:
/// element type, shape, options, supported head dimensions and grid limits, then the stream and the buffers. Checks that
/// need device buffers run in <see cref="GpuFlashAttentionTests"/>.
/// </summary>
public class CudaFlashAttentionValidationTests
{
    private static readonly AttentionShape Supported = new(1, 7, 7, 2, 1, 64);

    private static void Call<T>(AttentionShape shape, AttentionOptions? options = null) where T : unmanaged =>
        CudaFlashAttention.Forward<T>(null!, default, null!, default, null!, default, null!, default, null!, shape, options, null!);

    private static void CallBackward<T>(AttentionShape shape, AttentionOptions? options = null) where T : unmanaged =>
        CudaFlashAttention.Backward<T>(null!, default, null!, default, null!, default, null!, default, null!, null!, null!, null!, null!,
            shape, options, null!);

    [Test]
    public void ElementTypesOtherThanHalfAndBFloat16AreNotSupported()
    {
        Assert.That(() => Call<float>(Supported), Throws.TypeOf<NotSupportedException>().With.Message.Contains("CudaConversion"));
        Assert.That(() => Call<int>(Supported), Throws.TypeOf<NotSupportedException>());
        Assert.That(() => CallBackward<float>(Supported), Throws.TypeOf<NotSupportedException>().With.Message.Contains("CudaConversion"));
    }

    [Test]
    public void BackwardChecksShapeOptionsHeadDimsStreamAndBuffersInThatOrder()
    {
        Assert.That(() => CallBackward<Half>(Supported with { KvHeads = 3 }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("shape").And.Message.Contains("multiple"));
        Assert.That(() => CallBackward<BFloat16>(Supported, new AttentionOptions { Softcap = -1 }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("options"));
        Assert.That(() => CallBackward<Half>(Supported with { HeadDim = 96, ValueHeadDim = 96 }),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("shape").And.Message.Contains("64 or 128"));
        Assert.That(() => CallBackward<Half>(Supported with { Heads = 65536, KvHeads = 1 }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("shape").And.Message.Contains("65535"));
        Assert.That(() => CallBackward<Half>(Supported), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(() => CudaFlashAttention.Backward<Half>(null!, null!, null!, null!, null!, null!, null!, null!, null!, Supported, null, null!),
            Throws.ArgumentNullException.With.Property("ParamName").EqualTo("q"));
    }

    [Test]
    public void InvalidShapesAndOptionsNameTheirArgument()
    {
        Assert.That(() => Call<Half>(Supported with { KvHeads = 3 }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("shape").And.Message.Contains("multiple"));
        Assert.That(() => Call<Half>(Supported with { SeqQ = -1 }), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("shape"));
        Assert.That(() => Call<Half>(Supported, new AttentionOptions { Scale = float.NaN }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("options"));
        Assert.That(() => Call<BFloat16>(Supported, new AttentionOptions { WindowLeft = -2 }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("options"));
    }

    [Test]
    public void UnsupportedHeadDimsAndGridsAreRefused([Values(32, 59, 96, 256)] int headDim)
    {
        Assert.That(() => Call<Half>(Supported with { HeadDim = headDim, ValueHeadDim = headDim }),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("shape").And.Message.Contains("64 or 128"));
        Assert.That(() => Call<Half>(Supported with { ValueHeadDim = 128 }),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("shape").And.Message.Contains("ValueHeadDim = 128"));
        Assert.That(() => Call<Half>(Supported with { Batch = 65536 }),
            Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("shape").And.Message.Contains("65535"));
    }

    [Test]
    public void MissingStreamAndBuffersAreNamed()
    {
        Assert.That(() => Call<Half>(Supported), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("stream"));
        Assert.That(() => CudaFlashAttention.Forward<Half>(null!, null!, null!, null!, null!, Supported, null, null!),
            Throws.ArgumentNullException.With.Property("ParamName").EqualTo("q"));
    }

    [Test]
    public void VectorLoadsNeedAlignedPointersAndStrides()
    {
        var aligned = new AttentionStrides(97 * 384, 384, 64);
        Assert.That(CudaFlashAttention.VectorLoads([256, 512, 1024], [aligned, aligned, aligned]), Is.True);
        Assert.That(CudaFlashAttention.VectorLoads([256, 514, 1024], [aligned, aligned, aligned]), Is.False);
        Assert.That(CudaFlashAttention.VectorLoads([256, 512, 1024], [aligned, aligned with { Seq = 388 }, aligned]), Is.False);
    }
}
