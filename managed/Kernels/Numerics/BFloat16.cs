using System.Globalization;
using System.Diagnostics.CodeAnalysis;

namespace Kernels;

/// <summary>
/// A 16-bit brain floating-point number: the upper half of an IEEE binary32 (1 sign bit, 8 exponent
/// bits, 7 mantissa bits). Storage only — every kernel computes in fp32 and rounds on store.
/// </summary>
/// <remarks>
/// Conversion from <see cref="float"/> rounds to nearest, ties to even; NaN stays NaN (quiet, sign kept);
/// values beyond <see cref="MaxValue"/> round to infinity. Conversion to <see cref="float"/> is exact.
/// Equality operators follow IEEE 754 (NaN != NaN, +0 == -0); <see cref="Equals(BFloat16)"/> follows
/// <see cref="float.Equals(float)"/> (NaN equals NaN) so the type works as a dictionary key.
/// </remarks>
public readonly struct BFloat16 : IEquatable<BFloat16>, IComparable<BFloat16>, IComparable, IFormattable
{
    private readonly ushort _bits;

    private BFloat16(ushort bits) => _bits = bits;

    /// <summary>Reinterprets 16 raw bits as a <see cref="BFloat16"/>.</summary>
    public static BFloat16 FromBits(ushort bits) => new(bits);

    /// <summary>The raw 16 bits.</summary>
    public ushort ToBits() => _bits;

    /// <summary>Positive zero.</summary>
    public static BFloat16 Zero => new(0x0000);
    /// <summary>One.</summary>
    public static BFloat16 One => new(0x3F80);
    /// <summary>A quiet NaN.</summary>
    public static BFloat16 NaN => new(0x7FC0);
    /// <summary>Positive infinity.</summary>
    public static BFloat16 PositiveInfinity => new(0x7F80);
    /// <summary>Negative infinity.</summary>
    public static BFloat16 NegativeInfinity => new(0xFF80);
    /// <summary>Largest finite value, about 3.39e38.</summary>
    public static BFloat16 MaxValue => new(0x7F7F);
    /// <summary>Most negative finite value.</summary>
    public static BFloat16 MinValue => new(0xFF7F);
    /// <summary>Smallest positive subnormal value.</summary>
    public static BFloat16 Epsilon => new(0x0001);

    /// <summary>Whether the value is a NaN.</summary>
    public static bool IsNaN(BFloat16 value) => (value._bits & 0x7FFF) > 0x7F80;
    /// <summary>Whether the value is positive or negative infinity.</summary>
    public static bool IsInfinity(BFloat16 value) => (value._bits & 0x7FFF) == 0x7F80;
    /// <summary>Whether the value is neither infinite nor NaN.</summary>
    public static bool IsFinite(BFloat16 value) => (value._bits & 0x7F80) != 0x7F80;

    /// <summary>Rounds to nearest even; NaN stays a (quiet) NaN with its sign.</summary>
    public static explicit operator BFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            // Truncating a NaN whose payload sits in the low half would give infinity: force the quiet bit.
            return new((ushort)((bits >> 16) | 0x0040));
        }
        uint roundingBias = 0x7FFF + ((bits >> 16) & 1);
        return new((ushort)((bits + roundingBias) >> 16));
    }

    /// <summary>Exact widening to binary32.</summary>
    public static explicit operator float(BFloat16 value) => BitConverter.UInt32BitsToSingle((uint)value._bits << 16);

    /// <summary>Rounds through <see cref="float"/>, so a double may round twice.</summary>
    public static explicit operator BFloat16(double value) => (BFloat16)(float)value;

    /// <summary>Exact widening to binary64.</summary>
    public static explicit operator double(BFloat16 value) => (float)value;

    /// <summary>IEEE equality: NaN is not equal to anything, +0 equals -0.</summary>
    public static bool operator ==(BFloat16 left, BFloat16 right) => (float)left == (float)right;
    /// <summary>IEEE inequality: true when either side is NaN.</summary>
    public static bool operator !=(BFloat16 left, BFloat16 right) => (float)left != (float)right;
    /// <summary>IEEE ordering (false when either side is NaN).</summary>
    public static bool operator <(BFloat16 left, BFloat16 right) => (float)left < (float)right;
    /// <summary>IEEE ordering (false when either side is NaN).</summary>
    public static bool operator >(BFloat16 left, BFloat16 right) => (float)left > (float)right;
    /// <summary>IEEE ordering (false when either side is NaN).</summary>
    public static bool operator <=(BFloat16 left, BFloat16 right) => (float)left <= (float)right;
    /// <summary>IEEE ordering (false when either side is NaN).</summary>
    public static bool operator >=(BFloat16 left, BFloat16 right) => (float)left >= (float)right;

    /// <summary>Equality as <see cref="float.Equals(float)"/>: NaN equals NaN, +0 equals -0.</summary>
    public bool Equals(BFloat16 other) => ((float)this).Equals((float)other);
    /// <summary>Equality with a boxed <see cref="BFloat16"/>, as <see cref="Equals(BFloat16)"/>.</summary>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is BFloat16 other && Equals(other);
    /// <summary>The hash of the widened value, consistent with <see cref="Equals(BFloat16)"/>.</summary>
    public override int GetHashCode() => ((float)this).GetHashCode();
    /// <summary>Total order of <see cref="float.CompareTo(float)"/> (NaN first).</summary>
    public int CompareTo(BFloat16 other) => ((float)this).CompareTo((float)other);

    /// <summary>Compares with a boxed <see cref="BFloat16"/>; null sorts first.</summary>
    public int CompareTo(object? obj) => obj switch
    {
        null => 1,
        BFloat16 other => CompareTo(other),
        _ => throw new ArgumentException($"Object must be of type {nameof(BFloat16)}.", nameof(obj)),
    };

    /// <summary>The widened value formatted with the current culture.</summary>
    public override string ToString() => ((float)this).ToString(CultureInfo.CurrentCulture);
    /// <summary>The widened value formatted with <paramref name="formatProvider"/>.</summary>
    public string ToString(IFormatProvider? formatProvider) => ((float)this).ToString(formatProvider);
    /// <summary>The widened value formatted as <see cref="float.ToString(string, IFormatProvider)"/>.</summary>
    public string ToString(string? format, IFormatProvider? formatProvider) => ((float)this).ToString(format, formatProvider);
}
