using Kernels.Interop;
using NUnit.Framework;

namespace Kernels.Tests.Bindings;

public unsafe class NativeStatusCheckTests
{
    [Test]
    public void OkStatusDoesNotThrow()
    {
        Assert.That(() => Native.Check(kn_status.KN_OK), Throws.Nothing);
    }

    [Test]
    public void FailedCallThrowsWithStatusAndTheKernelsMessage()
    {
        float* buffer = stackalloc float[4];

        var failure = Assert.Throws<KernelsNativeException>(() =>
            Native.Check(NativeMethods.kn_reduce((kn_dtype)99, kn_reduce_op.KN_OP_SUM, buffer, buffer, buffer, 4, 1f)))!;

        Assert.That(failure.StatusCode, Is.EqualTo((int)kn_status.KN_INVALID_ARGUMENT));
        Assert.That(failure.StatusName, Is.EqualTo("KN_INVALID_ARGUMENT"));
        Assert.That(failure.NativeMessage, Is.Not.Empty, "kn_last_error() gave no message");
        Assert.That(failure.Message, Does.StartWith("KN_INVALID_ARGUMENT: "));
    }
}
