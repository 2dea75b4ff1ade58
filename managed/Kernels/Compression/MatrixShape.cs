namespace Kernels.Compression;

/// <summary>
/// The shape a gradient buffer is compressed as: <see cref="Rows"/> x <see cref="Cols"/>, row-major.
/// Top-k and 1-bit only use its <see cref="Length"/>; PowerSGD factors the matrix.
/// </summary>
/// <param name="Rows">Rows; at least 1.</param>
/// <param name="Cols">Columns; at least 1.</param>
public readonly record struct MatrixShape(int Rows, int Cols)
{
    /// <summary>A vector of <paramref name="length"/> elements, as a <paramref name="length"/> x 1 matrix.</summary>
    public static MatrixShape Vector(int length) => new(length, 1);

    /// <summary>Rows x cols.</summary>
    public long Length => (long)Rows * Cols;

    /// <summary>Throws unless the shape is positive and describes exactly <paramref name="length"/> elements.</summary>
    /// <exception cref="ArgumentException">Rows or cols below 1 (names <paramref name="shapeName"/>), or a length mismatch (names <paramref name="bufferName"/>).</exception>
    internal void Validate(int length, string bufferName, string shapeName)
    {
        if (Rows < 1 || Cols < 1)
        {
            throw new ArgumentException($"{shapeName} is {Rows} x {Cols}; rows and cols must be at least 1.", shapeName);
        }
        if (Length != length)
        {
            throw new ArgumentException($"{bufferName} has {length} elements but {shapeName} is {Rows} x {Cols} = {Length}.", bufferName);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Rows} x {Cols}";
}
