using Kernels.Collectives;
using Kernels.Compression;
using Kernels.Tests.Support;

namespace Kernels.Tests.Compression;

/// <summary>The three compressed all-reduce protocols at small, odd sizes, with their gradients and float64 references.</summary>
public enum AllReduceProtocol
{
    TopK,
    OneBit,
    PowerSgd,
}

internal static class AllReduceCases
{
    internal const int TopKLength = 1025, TopKK = 97;
    internal const int OneBitLength = 1025, OneBitChunk = 64;
    internal const int Rows = 37, Cols = 29, PowerSgdRank = 3;
    internal const ulong PowerSgdSeed = 5;

    internal static MatrixShape Shape(AllReduceProtocol protocol) =>
        protocol == AllReduceProtocol.PowerSgd ? new MatrixShape(Rows, Cols) : MatrixShape.Vector(protocol == AllReduceProtocol.TopK ? TopKLength : OneBitLength);

    internal static CompressedAllReduce Create(Communicator communicator, AllReduceProtocol protocol, bool rejectNonFinite = false) => protocol switch
    {
        AllReduceProtocol.TopK => new CompressedAllReduce(communicator, new TopK(TopKK), ErrorFeedback.Ef14()) { RejectNonFinite = rejectNonFinite },
        AllReduceProtocol.OneBit => new CompressedAllReduce(communicator, new OneBit(OneBitChunk), ErrorFeedback.Ef14()) { RejectNonFinite = rejectNonFinite },
        _ => new CompressedAllReduce(communicator, new PowerSgd(PowerSgdRank, seed: PowerSgdSeed), ErrorFeedback.Ef14()) { RejectNonFinite = rejectNonFinite },
    };

    internal static CompressedAllReduceReference Reference(AllReduceProtocol protocol, int ranks) => protocol switch
    {
        AllReduceProtocol.TopK => new TopKReference(ranks, TopKLength, TopKK),
        AllReduceProtocol.OneBit => new OneBitReference(ranks, OneBitLength, OneBitChunk),
        _ => new PowerSgdReference(ranks, Rows, Cols, PowerSgdRank, PowerSgdSeed),
    };

    /// <summary>Rank <paramref name="rank"/>'s gradient at <paramref name="step"/>: uniform in [-4, 4), different per rank and step.</summary>
    internal static float[] Gradient(AllReduceProtocol protocol, int rank, int step) =>
        Samples.Uniform<float>((int)Shape(protocol).Length, seed: 1000 * step + 17 * rank + (int)protocol);

    internal static byte[] Saved(CompressedAllReduce allReduce)
    {
        var stream = new MemoryStream();
        allReduce.SaveState(stream);
        return stream.ToArray();
    }
}
