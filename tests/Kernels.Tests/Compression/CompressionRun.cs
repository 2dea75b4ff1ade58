using Kernels.Compression;

namespace Kernels.Tests.Compression;

/// <summary>An error-feedback compressor of any message type, driven step by step by the tests.</summary>
internal interface ICompressionRun
{
    /// <summary>Compress, decompress and (optionally) reconstruct one step; returns the dense result.</summary>
    float[] Step(float[] gradient, MatrixShape shape, bool reconstruct);

    byte[] Save();

    void Restore(byte[] state);

    /// <summary>The error-feedback layer's state arrays (EF14: e; EF21: h, receiver h; EControl: e, h, receiver h; DGC: u, v), from saved state.</summary>
    float[][] SavedArrays();
}

internal sealed class CompressionRun<TMessage>(ErrorFeedbackCompressor<TMessage> ef) : ICompressionRun where TMessage : CompressedMessage
{
    public ErrorFeedbackCompressor<TMessage> Compressor => ef;

    public float[] Step(float[] gradient, MatrixShape shape, bool reconstruct)
    {
        TMessage message = ef.Compress(gradient, shape);
        var dense = new float[gradient.Length];
        ef.Decompress(message, dense);
        if (reconstruct) ef.Reconstruct(dense);
        return dense;
    }

    public byte[] Save()
    {
        var stream = new MemoryStream();
        ef.SaveState(stream);
        return stream.ToArray();
    }

    public void Restore(byte[] state) => ef.RestoreState(new MemoryStream(state));

    public float[][] SavedArrays()
    {
        using var reader = new BinaryReader(new MemoryStream(Save()));
        reader.ReadUInt32();  // magic
        reader.ReadInt32();   // version
        string kind = reader.ReadString();
        int arrays = kind.StartsWith("Ef14") ? 1 : kind.StartsWith("Ef21") || kind.StartsWith("DgcMomentum") ? 2 : kind.StartsWith("EControl") ? 3 : 0;
        if (arrays == 0) return [];
        reader.ReadInt32();   // rows
        reader.ReadInt32();   // cols
        var result = new float[arrays][];
        for (int a = 0; a < arrays; a++)
        {
            if (!reader.ReadBoolean())
            {
                result[a] = [];
                continue;
            }
            result[a] = new float[reader.ReadInt32()];
            for (int i = 0; i < result[a].Length; i++) result[a][i] = reader.ReadSingle();
        }
        return result;
    }
}

/// <summary>1-bit without its fused error-feedback kernel, so EF14 takes the generic path.</summary>
internal sealed class UnfusedOneBit(OneBit inner) : ICompressor<SignMessage>
{
    public bool IsLinear => inner.IsLinear;

    public SignMessage Compress(ReadOnlySpan<float> gradient, MatrixShape shape) => inner.Compress(gradient, shape);

    public void Decompress(SignMessage message, Span<float> destination) => inner.Decompress(message, destination);
}
