using NUnit.Framework;

namespace Kernels.Tests.Numerics;

public class BFloat16Tests
{
    [TestCase(1.0f, (ushort)0x3F80)]
    [TestCase(-2.0f, (ushort)0xC000)]
    [TestCase(1.00390625f, (ushort)0x3F80)]  // exactly halfway between 1 and the next value: ties to even (down)
    [TestCase(1.01171875f, (ushort)0x3F82)]  // halfway between 0x3F81 and 0x3F82: ties to even (up)
    [TestCase(1.0039064f, (ushort)0x3F81)]   // just above halfway (1 + 2^-8 + 2^-23): up
    [TestCase(3.4028235e38f, (ushort)0x7F80)] // float.MaxValue rounds past the largest bfloat16: infinity
    [TestCase(0f, (ushort)0x0000)]
    [TestCase(-0f, (ushort)0x8000)]
    public void FromFloatRoundsToNearestEven(float value, ushort bits)
        => Assert.That(((BFloat16)value).ToBits(), Is.EqualTo(bits));

    [Test]
    public void NaNStaysNaNEvenWithOnlyLowPayloadBits()
    {
        var lowPayload = BitConverter.UInt32BitsToSingle(0xFF800001);
        var converted = (BFloat16)lowPayload;
        Assert.That(BFloat16.IsNaN(converted), Is.True, $"0x{converted.ToBits():X4}");
        Assert.That(converted.ToBits() & 0x8000, Is.EqualTo(0x8000), "sign kept");
    }

    [Test]
    public void EveryFiniteValueWidensExactlyAndRoundTrips()
    {
        for (int bits = 0; bits < 65536; bits++)
        {
            var value = BFloat16.FromBits((ushort)bits);
            if (BFloat16.IsNaN(value)) continue;
            Assert.That(((BFloat16)(float)value).ToBits(), Is.EqualTo(bits));
        }
    }

    [Test]
    public void ComparisonsFollowIeee()
    {
        Assert.That(BFloat16.NaN == BFloat16.NaN, Is.False);
        Assert.That(BFloat16.NaN.Equals(BFloat16.NaN), Is.True);
        Assert.That((BFloat16)0f == (BFloat16)(-0f), Is.True);
        Assert.That(BFloat16.One < BFloat16.MaxValue && BFloat16.MinValue < BFloat16.One, Is.True);
        Assert.That(BFloat16.IsInfinity(BFloat16.PositiveInfinity) && !BFloat16.IsFinite(BFloat16.NegativeInfinity), Is.True);
        Assert.That((float)BFloat16.Epsilon, Is.EqualTo(MathF.Pow(2, -133)));
        Assert.That(BFloat16.One.ToString(System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo("1"));
    }
}
