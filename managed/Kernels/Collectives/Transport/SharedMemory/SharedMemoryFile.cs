using System.IO.MemoryMappedFiles;
using System.Runtime.Versioning;

namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>
/// A file under /dev/shm mapped shared (MAP_SHARED) into this process: what <c>shm_open</c> + <c>mmap</c> give, through
/// <see cref="FileStream"/> and <see cref="MemoryMappedFile"/> (on Linux shm_open is open() under /dev/shm).
/// Created files are owner-only (0600), exclusively (O_CREAT|O_EXCL); opened files must be 0600 too — a file of
/// another user that this process could open would have to grant group or other access.
/// </summary>
/// <remarks>
/// Why not P/Invoke of libc through the bindings generator: the generator binds functions sharing one prefix (libc's
/// shm_open, mmap, ftruncate, fchmod have none) and emits no SetLastError, so errno would be unreliable; the managed
/// file APIs make the same system calls and report errno as exceptions with the path.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe class SharedMemoryFile : IDisposable
{
    internal const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private int _disposed;

    private SharedMemoryFile(string path, FileStream stream, long length)
    {
        Path = path;
        Length = length;
        _file = MemoryMappedFile.CreateFromFile(stream, mapName: null, length, MemoryMappedFileAccess.ReadWrite,
            HandleInheritability.None, leaveOpen: false);
        _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        Pointer = pointer + _view.PointerOffset;
    }

    internal string Path { get; }
    internal long Length { get; }

    /// <summary>Start of the mapping; valid until <see cref="Dispose"/>.</summary>
    internal byte* Pointer { get; }

    /// <summary>Creates <paramref name="path"/> (it must not exist), mode 0600, <paramref name="length"/> zero bytes, and maps it.</summary>
    /// <exception cref="IOException">The file exists (EEXIST) or cannot be created.</exception>
    internal static SharedMemoryFile Create(string path, long length)
    {
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            UnixCreateMode = OwnerOnly,
        });
        try
        {
            // The umask only ever removes bits from the create mode; fchmod makes it exactly 0600 whatever it was.
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
            stream.SetLength(length); // ftruncate: pages are allocated only when touched
            return new SharedMemoryFile(path, stream, length);
        }
        catch
        {
            stream.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Maps an existing file, which must be mode 0600 and exactly <paramref name="length"/> bytes long.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Its mode or length is wrong.</exception>
    internal static SharedMemoryFile Open(string path, long length)
    {
        FileStream stream = OpenChecked(path);
        try
        {
            if (stream.Length != length)
            {
                throw new InvalidDataException($"{path} is {stream.Length} bytes, expected {length}: not a file of this job, or its settings differ.");
            }
            return new SharedMemoryFile(path, stream, length);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads the first <paramref name="count"/> bytes of an existing 0600 file without mapping it (for leftovers of other jobs).</summary>
    internal static byte[] ReadPrefix(string path, int count)
    {
        using FileStream stream = OpenChecked(path);
        var bytes = new byte[count];
        stream.ReadAtLeast(bytes, count, throwOnEndOfStream: false);
        return bytes;
    }

    private static FileStream OpenChecked(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        UnixFileMode mode = File.GetUnixFileMode(stream.SafeFileHandle);
        if (mode != OwnerOnly)
        {
            stream.Dispose();
            throw new InvalidDataException(
                $"{path} has mode {Convert.ToString((int)mode, 8)}, not 0600: it was not created by this transport; refusing to use it.");
        }
        return stream;
    }

    /// <summary>Unmaps the file (it stays in /dev/shm until unlinked). Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file.Dispose();
        }
    }
}
