using System.Security.Cryptography;

namespace Kernels.Cuda;

/// <summary>
/// Compiled programs on disk, one file per cache key (<c>&lt;key hex&gt;.kncu</c>). A file holds a magic, its key,
/// the SHA-256 of its payload and the payload; anything that does not verify (truncated, edited, another key)
/// is deleted and reported as a miss, so a corrupted file is recompiled and never loaded. Writes go to a
/// temporary file renamed into place, so a reader never sees half a file.
/// </summary>
internal sealed class CompiledImageCache(string directory)
{
    private static readonly byte[] Magic = "KNCUDA01"u8.ToArray();
    private const int HashBytes = 32;

    internal string Directory { get; } = directory;

    internal string PathOf(byte[] key) => Path.Combine(Directory, Convert.ToHexString(key).ToLowerInvariant() + ".kncu");

    /// <summary>The cached program for <paramref name="key"/>, or null when absent or corrupted (then deleted).</summary>
    internal CompiledProgram? TryRead(byte[] key)
    {
        string path = PathOf(key);
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        CompiledProgram? program = Verify(file, key);
        if (program == null)
            TryDelete(path);
        return program;
    }

    /// <summary>Stores <paramref name="program"/>; a cache folder that cannot be written only costs a recompile later.</summary>
    internal void Write(byte[] key, CompiledProgram program)
    {
        byte[] payload = Serialize(program);
        string path = PathOf(key);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(Magic);
                stream.Write(key);
                stream.Write(SHA256.HashData(payload));
                stream.Write(payload);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
        }
    }

    private static CompiledProgram? Verify(byte[] file, byte[] key)
    {
        int header = Magic.Length + 2 * HashBytes;
        if (file.Length < header || !file.AsSpan(0, Magic.Length).SequenceEqual(Magic)
            || !file.AsSpan(Magic.Length, HashBytes).SequenceEqual(key))
            return null;
        ReadOnlySpan<byte> payload = file.AsSpan(header);
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(file.AsSpan(Magic.Length + HashBytes, HashBytes)))
            return null;
        try
        {
            return Deserialize(payload.ToArray());
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException)
        {
            return null; // a payload of a format this code does not know
        }
    }

    private static byte[] Serialize(CompiledProgram program)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer))
        {
            writer.Write((int)program.Kind);
            writer.Write(program.Image.Length);
            writer.Write(program.Image);
            writer.Write(program.LoweredNames.Count);
            foreach (var (expression, lowered) in program.LoweredNames)
            {
                writer.Write(expression);
                writer.Write(lowered);
            }
            writer.Write(program.Log);
        }
        return buffer.ToArray();
    }

    private static CompiledProgram Deserialize(byte[] payload)
    {
        using var reader = new BinaryReader(new MemoryStream(payload));
        var kind = (CudaImageKind)reader.ReadInt32();
        byte[] image = reader.ReadBytes(reader.ReadInt32());
        int count = reader.ReadInt32();
        var names = new Dictionary<string, string>(count);
        for (int i = 0; i < count; i++)
            names.Add(reader.ReadString(), reader.ReadString());
        string log = reader.ReadString();
        return new CompiledProgram { Image = image, Kind = kind, LoweredNames = names, Log = log, Origin = CompileOrigin.DiskCache };
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the next writer to replace.
        }
    }
}
