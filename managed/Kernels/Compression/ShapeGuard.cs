namespace Kernels.Compression;

/// <summary>The shape a stateful compressor or error-feedback layer is bound to by its first step.</summary>
internal struct ShapeGuard
{
    internal MatrixShape? Shape { get; set; }

    /// <summary>Throws when <paramref name="shape"/> differs from the bound shape; does not bind.</summary>
    /// <exception cref="ArgumentException">The shape changed since the first step (names <c>shape</c>).</exception>
    internal readonly void Check(MatrixShape shape, string owner)
    {
        if (Shape is { } bound && bound != shape)
        {
            throw new ArgumentException(
                $"{owner} keeps state for a {bound} tensor and cannot take a {shape} one: use one instance per tensor.", nameof(shape));
        }
    }
}
