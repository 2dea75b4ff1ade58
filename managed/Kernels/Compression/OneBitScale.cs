namespace Kernels.Compression;

/// <summary>The magnitude every element of a 1-bit chunk decompresses to.</summary>
public enum OneBitScale
{
    /// <summary>Mean |x| of the chunk's finite elements (the default; preserves the chunk's L1 norm).</summary>
    MeanAbs,

    /// <summary>Root mean square of the chunk's finite elements (1-bit Adam's choice; preserves the L2 norm).</summary>
    Rms,
}
