using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>One way of all-reducing compressed gradients (sparse all-gather, 1-bit two-phase, PowerSGD all-reduce of P and Q).</summary>
internal interface IAllReduceProtocol
{
    /// <summary>Type and settings, for saved state.</summary>
    string Kind { get; }

    /// <summary>Throws for arguments the protocol cannot take, before anything is sent or changed.</summary>
    void CheckStep(ReadOnlySpan<float> gradient, MatrixShape shape);

    /// <summary>
    /// One step: compresses with the error-feedback memory, exchanges, writes the average estimate into <paramref name="average"/>
    /// (which may be exactly <paramref name="gradient"/>) and returns the bytes sent. May leave state changed when it throws: the
    /// caller rolls back.
    /// </summary>
    CompressionReport Run(Communicator communicator, ReadOnlySpan<float> gradient, Span<float> average, MatrixShape shape, CancellationToken cancellationToken);

    void SaveState(BinaryWriter writer);

    /// <summary>Validates saved state without changing anything; returns the action that installs it.</summary>
    Action ReadState(BinaryReader reader);
}
