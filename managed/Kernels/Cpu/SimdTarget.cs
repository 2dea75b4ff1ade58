namespace Kernels;

/// <summary>One SIMD instruction-set target the kernels are compiled for (a Highway target, e.g. AVX2 or AVX3 = AVX-512).</summary>
/// <param name="Bit">The target's bit in the native target masks.</param>
/// <param name="Name">Highway's name for it ("AVX2", "AVX3", "SSE4", "EMU128", ...).</param>
public readonly record struct SimdTarget(long Bit, string Name)
{
    /// <inheritdoc/>
    public override string ToString() => Name;
}
