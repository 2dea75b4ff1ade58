using Kernels.Execution;
using Kernels.Interop;
using Kernels.Tests.Support;
using NUnit.Framework;

namespace Kernels.Tests.Operators;

/// <summary>
/// The native pieces of the fused all-reduce's streaming path: <c>kn_add_rms_norm_publish</c> (against the float64
/// reference and bit for bit against <c>kn_add_rms_norm</c>, copies included) and <c>kn_stream_copy</c> (exact), on
/// every SIMD target, odd shapes and outputs off vector alignment.
/// </summary>
[TestFixtureSource(typeof(SimdTargets), nameof(SimdTargets.Supported))]
public class AddRmsNormPublishTests(string target) : PerTargetFixture(target)
{
    [Test]
    public void Publish_matches_the_reference_and_kn_add_rms_norm_bit_for_bit(
        [Values] Storage storage, [Values(0, 1, 3)] int yOffset, [Values] bool copyOverX)
        => storage.Run(new PublishCase(TargetName, yOffset, copyOverX));

    [Test]
    public unsafe void Stream_copy_is_exact_at_any_length_and_alignment([Values(0, 1, 5, 31, 32)] int offset)
    {
        foreach (int bytes in new[] { 0, 1, 7, 31, 32, 33, 97, 127, 128, 129, 1025, 4096 * 4 + 7 })
        {
            byte[] source = Samples.Uniform<float>((bytes + 3) / 4 + 1, seed: bytes).SelectMany(BitConverter.GetBytes).Take(bytes + 1).ToArray();
            byte[] destination = Enumerable.Repeat((byte)0xA5, bytes + offset + 8).ToArray();
            fixed (byte* ps = source, pd = destination)
            {
                Native.Check(NativeMethods.kn_stream_copy(pd + offset, ps + 1, (nuint)bytes));
            }
            string context = $"{TargetName} bytes={bytes} offset={offset}";
            Assert.That(destination.AsSpan(offset, bytes).SequenceEqual(source.AsSpan(1, bytes)), context);
            Assert.That(destination.Take(offset).Concat(destination.Skip(offset + bytes)), Is.All.EqualTo((byte)0xA5), context + " outside");
        }
    }

    [Test]
    public unsafe void Null_outputs_are_rejected_by_name()
    {
        float* buffer = stackalloc float[8];
        Assert.That(() => Native.Check(NativeMethods.kn_add_rms_norm_publish(kn_dtype.KN_F32, buffer, buffer, buffer, buffer, null, buffer, 2, 4, 1e-6f)),
            Throws.TypeOf<KernelsNativeException>().With.Message.Contains("y_copy"));
        Assert.That(() => Native.Check(NativeMethods.kn_add_rms_norm_publish(kn_dtype.KN_F32, buffer, buffer, buffer, buffer, buffer, null, 2, 4, 1e-6f)),
            Throws.TypeOf<KernelsNativeException>().With.Message.Contains("residual_copy"));
        Assert.That(() => Native.Check(NativeMethods.kn_stream_copy(null, buffer, 4)),
            Throws.TypeOf<KernelsNativeException>().With.Message.Contains("dst"));
    }

    private sealed record PublishCase(string Target, int YOffset, bool CopyOverX) : IStorageTest
    {
        public unsafe void Run<T>() where T : unmanaged
        {
            kn_dtype dtype = ElementTypes.Of<T>();
            foreach ((int rows, int cols) in RmsNormTests.Shapes)
            {
                int n = rows * cols;
                T[] x = Samples.Uniform<T>(n, seed: rows + 31 * cols), residual = Samples.Uniform<T>(n, seed: rows + 37 * cols);
                T[] w = Samples.Uniform<T>(cols, seed: cols + 1, low: 0.5f, high: 1.5f);
                T[] expectedResidual = x.Zip(residual, (a, b) => Values.Round<T>(Values.ToDouble(a) + Values.ToDouble(b))).ToArray();
                double[] expected = Float64Reference.RmsNorm<T>(expectedResidual, w, cols, 1e-6);

                T[] plainResidual = (T[])residual.Clone(), plainY = new T[n];
                fixed (T* px = x, pr = plainResidual, pw = w, py = plainY)
                {
                    Native.Check(NativeMethods.kn_add_rms_norm(dtype, px, pr, pw, py, (nuint)rows, (nuint)cols, 1e-6f));
                }

                // y sits YOffset elements into its array, so it is off vector alignment unless YOffset is 0.
                T[] yStorage = new T[n + YOffset], residualCopy = new T[n];
                T[] yCopy = CopyOverX ? x : new T[n];
                fixed (T* px = x, pr = residual, pw = w, py = yStorage, pyc = yCopy, prc = residualCopy)
                {
                    Native.Check(NativeMethods.kn_add_rms_norm_publish(dtype, px, pr, pw, py + YOffset, pyc, prc, (nuint)rows, (nuint)cols, 1e-6f));
                }
                T[] y = yStorage.AsSpan(YOffset).ToArray();
                string context = $"{Target} rows={rows} cols={cols} yOffset={YOffset} copy==x:{CopyOverX}";
                Compare.Bitwise<T>(residual, expectedResidual, context + " residual");
                Compare.Near<T>(y, expected, 1, context, RmsNormTests.RelativeTolerance);
                Compare.Bitwise<T>(y, plainY, context + " y vs kn_add_rms_norm");
                Compare.Bitwise<T>(yCopy, plainY, context + " y copy");
                Compare.Bitwise<T>(residualCopy, plainResidual, context + " residual copy");
            }
        }
    }
}
