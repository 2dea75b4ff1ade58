using System.Runtime.CompilerServices;

namespace Kernels.Perf.Peers.Scalar;

/// <summary>f32 load/store for float and BFloat16; the typeof tests fold away when the JIT specialises T.</summary>
internal static class ScalarElement
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Load<T>(T value) where T : unmanaged =>
        typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref value) : (float)Unsafe.As<T, BFloat16>(ref value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Store<T>(float value) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return Unsafe.As<float, T>(ref value);
        }
        BFloat16 rounded = (BFloat16)value;
        return Unsafe.As<BFloat16, T>(ref rounded);
    }
}
