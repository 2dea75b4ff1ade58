using Kernels.Execution;
using Kernels.Interop;

namespace Kernels.Cuda;

/// <summary>Checks shared by the device operators, all made before anything is queued.</summary>
internal static class DeviceArguments
{
    /// <summary>The storage policy name the kernels' templates take for <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    internal static string Storage<T>() where T : unmanaged => ElementTypes.Of<T>() switch
    {
        kn_dtype.KN_F32 => "kn::F32Storage",
        kn_dtype.KN_F16 => "kn::F16Storage",
        _ => "kn::BF16Storage",
    };

    /// <summary>The buffer exists, is not disposed and lives on the stream's device.</summary>
    internal static ulong Pointer<T>(DeviceBuffer<T>? buffer, CudaStream stream, string name) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        stream.Device.RequireSame(buffer.Device, name);
        return buffer.Pointer;
    }

    internal static void SameLength<TA, TB>(DeviceBuffer<TA> reference, DeviceBuffer<TB> other, string referenceName, string otherName)
        where TA : unmanaged where TB : unmanaged
    {
        if (other.Length != reference.Length)
            throw new ArgumentException($"{otherName} has {other.Length} elements but {referenceName} has {reference.Length}", otherName);
    }
}
