using Kernels.Interop;

namespace Kernels.Execution;

/// <summary>Maps the element types the kernels store to the native dtype.</summary>
internal static class ElementTypes
{
    /// <summary>The native dtype of <typeparamref name="T"/>; the JIT folds the checks per instantiation.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float, Half or BFloat16.</exception>
    internal static kn_dtype Of<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return kn_dtype.KN_F32;
        if (typeof(T) == typeof(Half)) return kn_dtype.KN_F16;
        if (typeof(T) == typeof(BFloat16)) return kn_dtype.KN_BF16;
        throw new NotSupportedException(
            $"Element type {typeof(T).Name} is not supported: use float, Half or Kernels.BFloat16.");
    }
}
