using System.Runtime.InteropServices;

namespace Kernels.Execution;

/// <summary>
/// Argument rules shared by the operators. Each throws before any native code runs, so a caller's
/// output is untouched when an argument is wrong.
/// </summary>
internal static class SpanRules
{
    internal static void SameLength<TA, TB>(ReadOnlySpan<TA> reference, ReadOnlySpan<TB> other, string referenceName, string otherName)
    {
        if (other.Length != reference.Length)
        {
            throw new ArgumentException(
                $"{otherName} has {other.Length} elements but {referenceName} has {reference.Length}; they must be equal.", otherName);
        }
    }

    /// <summary>
    /// <paramref name="output"/> may not share memory with <paramref name="input"/>, except that it may be
    /// exactly the same span when <paramref name="exactAliasAllowed"/>.
    /// </summary>
    internal static void NoOverlap<TIn, TOut>(ReadOnlySpan<TIn> input, ReadOnlySpan<TOut> output, string inputName, string outputName, bool exactAliasAllowed)
        where TIn : unmanaged where TOut : unmanaged
    {
        ReadOnlySpan<byte> inBytes = MemoryMarshal.AsBytes(input);
        ReadOnlySpan<byte> outBytes = MemoryMarshal.AsBytes(output);
        if (!inBytes.Overlaps(outBytes, out int offset))
        {
            return;
        }
        if (exactAliasAllowed && offset == 0 && inBytes.Length == outBytes.Length)
        {
            return;
        }
        string allowed = exactAliasAllowed ? $" (only exactly the same span as {inputName} is allowed)" : "";
        throw new ArgumentException($"{outputName} overlaps {inputName}{allowed}.", outputName);
    }

    internal static void PositiveFinite(float value, string name)
    {
        if (!float.IsFinite(value) || value <= 0f)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite and greater than zero.");
        }
    }

    internal static void Finite(float value, string name)
    {
        if (!float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be finite.");
        }
    }
}
