using System.Runtime.InteropServices;
using Kernels.Interop;
using NUnit.Framework;

namespace Kernels.Tests.Attention;

/// <summary>The C ABI's own checks, behind the managed validation: work-item ranges and the workspace.</summary>
public unsafe class AttentionNativeArgumentTests
{
    private static kn_status Forward(float* buffer, long* strides, nuint itemBegin, nuint itemCount, void* workspace, nuint bytes) =>
        NativeMethods.kn_flash_attention_forward(kn_dtype.KN_F32, buffer, buffer, buffer, buffer + 64, buffer + 128,
            1, 2, 2, 1, 1, 16, 16, strides, strides, strides, strides, 0.25f, 1, -1, -1, 0f, itemBegin, itemCount, workspace, bytes);

    [Test]
    public void ItemRangeAndWorkspaceAreChecked()
    {
        float* buffer = stackalloc float[256];
        long* strides = stackalloc long[] { 32, 16, 16 };
        nuint bytes = NativeMethods.kn_flash_attention_workspace_size(16, 16);
        byte* workspace = (byte*)NativeMemory.AlignedAlloc(bytes + 64, 64);
        try
        {
            Assert.That(Forward(buffer, strides, 0, 1, workspace, bytes), Is.EqualTo(kn_status.KN_OK));
            AssertFails(Forward(buffer, strides, 1, 1, workspace, bytes), "exceed the 1 work items");
            AssertFails(Forward(buffer, strides, 0, 1, workspace, bytes - 4), "workspace_bytes");
            AssertFails(Forward(buffer, strides, 0, 1, workspace + 4, bytes), "64-byte aligned");
            AssertFails(Forward(buffer, null, 0, 1, workspace, bytes), "q_strides");
            Assert.That(NativeMethods.kn_attention_block(), Is.EqualTo((nuint)64));
        }
        finally
        {
            NativeMemory.AlignedFree(workspace);
        }
    }

    private static void AssertFails(kn_status status, string messagePart)
    {
        Assert.That(status, Is.EqualTo(kn_status.KN_INVALID_ARGUMENT));
        Assert.That(Marshal.PtrToStringUTF8((nint)NativeMethods.kn_last_error()), Does.Contain(messagePart));
    }
}
