using System.Runtime.InteropServices;

namespace Kernels.Perf.Core;

/// <summary>
/// 64-byte-aligned native memory, every page written at allocation so no timed call takes page faults.
/// Native memory (not a managed array) so every contender — our kernels, ONNX Runtime, the native
/// probe — sees the same addresses with no pinning or copies.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private void* _data;

    public NativeBuffer(long bytes, uint seed)
    {
        Bytes = bytes;
        _data = NativeMemory.AlignedAlloc((nuint)bytes, 64);
        FillWithValuesValidInEveryType(seed);
    }

    public long Bytes { get; }

    public nint Address => (nint)_data;

    public Span<T> Span<T>(long count) where T : unmanaged
    {
        if (count * sizeof(T) > Bytes)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} x {sizeof(T)} bytes exceed the buffer's {Bytes}.");
        }
        return new Span<T>(_data, checked((int)count));
    }

    public void Dispose()
    {
        if (_data != null)
        {
            NativeMemory.AlignedFree(_data);
            _data = null;
        }
    }

    /// <summary>
    /// Each 16-bit half gets a random bf16 with magnitude in [0.5, 1) and a random sign (0x3F00..0x3F7F | sign).
    /// Read as f32 the upper half is the same kind of number, so one fill serves f32 and bf16 with no
    /// NaN, infinity or denormal (which would slow some paths) and no per-case refill.
    /// </summary>
    private void FillWithValuesValidInEveryType(uint seed)
    {
        var halves = new Span<ushort>(_data, checked((int)(Bytes / 2)));
        uint state = seed | 1;
        for (int i = 0; i < halves.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            halves[i] = (ushort)(0x3F00 | (state & 0x7F) | ((state >> 8) & 0x8000));
        }
    }
}
