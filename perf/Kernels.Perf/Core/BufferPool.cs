namespace Kernels.Perf.Core;

/// <summary>
/// Numbered buffers shared by every item of a run: the STREAM probe's 256 MiB buffers are reused by the
/// kernels, so the run faults its memory in once instead of per case.
/// </summary>
public sealed class BufferPool : IDisposable
{
    private readonly List<NativeBuffer?> _buffers = [];

    /// <summary>Buffer number <paramref name="index"/>, at least <paramref name="bytes"/> long (reallocated if smaller).</summary>
    public NativeBuffer Get(int index, long bytes)
    {
        while (_buffers.Count <= index)
        {
            _buffers.Add(null);
        }
        NativeBuffer? buffer = _buffers[index];
        if (buffer is null || buffer.Bytes < bytes)
        {
            buffer?.Dispose();
            buffer = new NativeBuffer(bytes, seed: 0x9E3779B9u * (uint)(index + 1));
            _buffers[index] = buffer;
        }
        return buffer;
    }

    public void Dispose()
    {
        foreach (NativeBuffer? buffer in _buffers)
        {
            buffer?.Dispose();
        }
        _buffers.Clear();
    }
}
