using System.Runtime.CompilerServices;

namespace Kernels.Tests.Support;

/// <summary>
/// The test side's view of the storage types: exact widening to double, and the float64 reference's rounding
/// back to a storage type (written independently of the library's converters).
/// </summary>
internal static class Values
{
    internal static double ToDouble<T>(T value) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<T, float>(ref value);
        if (typeof(T) == typeof(Half)) return (double)Unsafe.As<T, Half>(ref value);
        if (typeof(T) == typeof(BFloat16)) return BitConverter.UInt32BitsToSingle((uint)Unsafe.As<T, BFloat16>(ref value).ToBits() << 16);
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>Rounds an exact double to <typeparamref name="T"/>, to nearest, ties to even.</summary>
    internal static T Round<T>(double value) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) { float f = (float)value; return Unsafe.As<float, T>(ref f); }
        if (typeof(T) == typeof(Half)) { Half h = (Half)value; return Unsafe.As<Half, T>(ref h); }
        if (typeof(T) == typeof(BFloat16)) { BFloat16 b = RoundToBFloat16(value); return Unsafe.As<BFloat16, T>(ref b); }
        throw new NotSupportedException(typeof(T).Name);
    }

    /// <summary>Builds an input value: exact for every float that <typeparamref name="T"/> can hold.</summary>
    internal static T From<T>(float value) where T : unmanaged => Round<T>(value);

    internal static bool IsNaN<T>(T value) where T : unmanaged => double.IsNaN(ToDouble(value));

    internal static ushort Bits16<T>(T value) where T : unmanaged => Unsafe.As<T, ushort>(ref value);

    internal static uint Bits<T>(T value) where T : unmanaged =>
        Unsafe.SizeOf<T>() == 4 ? Unsafe.As<T, uint>(ref value) : Bits16(value);

    /// <summary>Significand bits (with the implicit one) of <typeparamref name="T"/>.</summary>
    internal static int Precision<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? 24 : typeof(T) == typeof(Half) ? 11 : 8;

    private static int MinExponent<T>() where T : unmanaged => typeof(T) == typeof(Half) ? -14 : -126;

    /// <summary>One unit in the last place of <typeparamref name="T"/> at the magnitude of <paramref name="value"/>.</summary>
    internal static double Ulp<T>(double value) where T : unmanaged
    {
        double magnitude = Math.Abs(value);
        int exponent = magnitude == 0 || double.IsInfinity(magnitude) ? MinExponent<T>() : Math.Max(Math.ILogB(magnitude), MinExponent<T>());
        return Math.ScaleB(1.0, exponent - (Precision<T>() - 1));
    }

    /// <summary>Nearest-even rounding to bfloat16 by comparing the two neighbours in exact double arithmetic.</summary>
    private static BFloat16 RoundToBFloat16(double value)
    {
        if (double.IsNaN(value)) return BFloat16.NaN;
        float asFloat = (float)value; // exact for the test data; the double path below handles the rest
        if (float.IsInfinity(asFloat) && !double.IsInfinity(value))
        {
            // Beyond float's range is beyond bfloat16's too.
            return value > 0 ? BFloat16.PositiveInfinity : BFloat16.NegativeInfinity;
        }
        uint bits = BitConverter.SingleToUInt32Bits(asFloat);
        ushort lowerBits = (ushort)(bits >> 16);                       // truncation towards zero
        double lower = BitConverter.UInt32BitsToSingle((uint)lowerBits << 16);
        if (lower == value || (bits & 0x7F80_0000) == 0x7F80_0000) return BFloat16.FromBits(lowerBits);
        ushort upperBits = (ushort)(lowerBits + 1);                    // next magnitude away from zero
        double upper = (upperBits & 0x7F80) == 0x7F80
            ? Math.CopySign(Math.ScaleB(1.0, 128), value)               // rounding past MaxValue: infinity's "value"
            : BitConverter.UInt32BitsToSingle((uint)upperBits << 16);
        double toLower = Math.Abs(value - lower), toUpper = Math.Abs(upper - value);
        bool pickUpper = toUpper < toLower || (toUpper == toLower && (lowerBits & 1) == 1);
        return BFloat16.FromBits(pickUpper ? upperBits : lowerBits);
    }
}
