namespace Kernels.Compression;

/// <summary>A compressor or error-feedback layer whose state can be saved and restored bit-exactly.</summary>
internal interface IStatefulPart
{
    /// <summary>Type and settings; restoring requires an exact match.</summary>
    string StateKind { get; }

    void SaveState(BinaryWriter writer);

    /// <summary>
    /// Reads and validates this part's state without changing anything, and returns the action that installs it,
    /// so that a composite restores all of its parts or none.
    /// </summary>
    /// <exception cref="ArgumentException">The state does not fit this object (shape, lengths).</exception>
    Action ReadState(BinaryReader reader);
}
