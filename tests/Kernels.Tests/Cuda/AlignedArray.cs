using System.Runtime.InteropServices;

namespace Kernels.Tests.Cuda;

/// <summary>
/// Native memory whose first element sits at a chosen distance from a 64-byte boundary: offset 0 lets the
/// kernels take their 128-bit path, offset 1 forces the element-by-element path. Managed arrays give neither
/// guarantee.
/// </summary>
internal sealed unsafe class AlignedArray<T> : IDisposable where T : unmanaged
{
    private void* _block;

    internal AlignedArray(ReadOnlySpan<T> values, int offsetElements)
    {
        Length = values.Length;
        _block = NativeMemory.AlignedAlloc((nuint)((values.Length + offsetElements) * sizeof(T) + 64), 64);
        Pointer = (T*)_block + offsetElements;
        values.CopyTo(Span);
    }

    internal T* Pointer { get; }
    internal int Length { get; }
    internal Span<T> Span => new(Pointer, Length);
    internal T[] ToArray() => Span.ToArray();

    public void Dispose()
    {
        if (_block != null)
            NativeMemory.AlignedFree(_block);
        _block = null;
    }
}
