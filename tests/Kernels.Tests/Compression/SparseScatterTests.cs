using Kernels.Compression;
using NUnit.Framework;

namespace Kernels.Tests.Compression;

public class SparseScatterTests
{
    [Test]
    public void ScatterWritesInOrderAndScatterAddAccumulates()
    {
        float[] dense = [1f, 1f, 1f, 1f, 1f];
        Sparse.Scatter([4, 0, 4], [2f, 3f, 7f], dense);
        Assert.That(dense, Is.EqualTo(new[] { 3f, 1f, 1f, 1f, 7f }), "a repeated index keeps the last value");
        Sparse.ScatterAdd([1, 1, 3], [0.5f, 0.25f, float.NaN], dense);
        Assert.That(dense[..3], Is.EqualTo(new[] { 3f, 1.75f, 1f }));
        Assert.That(float.IsNaN(dense[3]) && dense[4] == 7f);
    }

    [Test]
    public void TopKDecompressIsScatterIntoZeros()
    {
        float[] x = [0.5f, -4f, 3f, -0f, 1f, -2f];
        var topK = new TopK(3);
        SparseMessage message = topK.Compress(x, MatrixShape.Vector(x.Length));
        float[] dense = [9f, 9f, 9f, 9f, 9f, 9f];
        topK.Decompress(message, dense);
        Assert.That(dense, Is.EqualTo(new[] { 0f, -4f, 3f, 0f, 0f, -2f }));
        Assert.That(message.PayloadBytes, Is.EqualTo(24));
    }
}
