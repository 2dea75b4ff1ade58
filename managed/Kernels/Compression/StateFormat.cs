namespace Kernels.Compression;

/// <summary>
/// The binary layout of saved compression state: a magic number, a format version, then each part's kind
/// (its type and settings, so state cannot be restored into a differently configured object) and its data.
/// Floats are written as their IEEE bits, so a restore is bit-exact (NaN payloads included).
/// </summary>
internal static class StateFormat
{
    internal const uint Magic = 0x53434E4B; // "KNCS"
    internal const int Version = 1;
    internal const string ParameterName = "state";

    internal static void WriteHeader(BinaryWriter writer)
    {
        writer.Write(Magic);
        writer.Write(Version);
    }

    internal static void ReadHeader(BinaryReader reader)
    {
        uint magic = reader.ReadUInt32();
        if (magic != Magic)
        {
            throw Invalid($"it does not start with the compression state magic 0x{Magic:X8} (found 0x{magic:X8}).");
        }
        int version = reader.ReadInt32();
        if (version != Version)
        {
            throw Invalid($"it has format version {version}; this library reads version {Version}.");
        }
    }

    internal static void WriteKind(BinaryWriter writer, string kind) => writer.Write(kind);

    internal static void ReadKind(BinaryReader reader, string expected)
    {
        string kind = reader.ReadString();
        if (kind != expected)
        {
            throw Invalid($"it was saved by '{kind}' but is being restored into '{expected}'.");
        }
    }

    /// <summary>A shape that may not be set yet (0 x 0).</summary>
    internal static void WriteShape(BinaryWriter writer, MatrixShape? shape)
    {
        writer.Write(shape?.Rows ?? 0);
        writer.Write(shape?.Cols ?? 0);
    }

    /// <summary>
    /// Reads a shape (null when the saved object had not stepped yet). An object already bound to a shape only accepts state
    /// saved for that same shape.
    /// </summary>
    internal static MatrixShape? ReadShape(BinaryReader reader, MatrixShape? current)
    {
        int rows = reader.ReadInt32(), cols = reader.ReadInt32();
        MatrixShape? saved = rows == 0 && cols == 0 ? null : new MatrixShape(rows, cols);
        if (saved is { } s && (s.Rows < 1 || s.Cols < 1))
        {
            throw Invalid($"it holds the impossible shape {rows} x {cols}.");
        }
        // A rollback (RollbackReader) puts back the state from before a failed step, which may predate the binding.
        if (current is { } c && saved != c && reader is not RollbackReader)
        {
            string what = saved is { } t ? $"shape {t}" : "an object that had not stepped yet";
            throw Invalid($"it was saved for {what} but this object works on {c}.");
        }
        return saved;
    }

    internal static void WriteFloats(BinaryWriter writer, ReadOnlySpan<float> values)
    {
        writer.Write(values.Length);
        if (BitConverter.IsLittleEndian)
        {
            // The layout BinaryWriter.Write(float) produces, in one copy: snapshots before every collective step stay cheap.
            writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
            return;
        }
        foreach (float v in values)
        {
            writer.Write(v);
        }
    }

    /// <summary>Reads a float array that must have <paramref name="expectedLength"/> elements.</summary>
    internal static float[] ReadFloats(BinaryReader reader, long expectedLength, string what)
    {
        int length = reader.ReadInt32();
        if (length != expectedLength)
        {
            throw Invalid($"its {what} has {length} elements where {expectedLength} are expected.");
        }
        var values = new float[length];
        if (BitConverter.IsLittleEndian)
        {
            // Throws EndOfStreamException when truncated, as ReadSingle would.
            reader.BaseStream.ReadExactly(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }
        for (int i = 0; i < length; i++)
        {
            values[i] = reader.ReadSingle();
        }
        return values;
    }

    /// <summary>Checks the world size and rank a collective object's state was saved on.</summary>
    internal static void ReadPlacement(BinaryReader reader, int size, int rank)
    {
        int savedSize = reader.ReadInt32(), savedRank = reader.ReadInt32();
        if (savedSize != size || savedRank != rank)
        {
            throw Invalid($"it was saved by rank {savedRank} of a {savedSize}-rank job but this is rank {rank} of {size}.");
        }
    }

    internal static ArgumentException Invalid(string reason) =>
        new($"The saved compression state cannot be restored: {reason} Nothing was changed.", ParameterName);
}

/// <summary>Reads a snapshot taken before a step, to undo that step after its collective failed.</summary>
internal sealed class RollbackReader(Stream stream) : BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
