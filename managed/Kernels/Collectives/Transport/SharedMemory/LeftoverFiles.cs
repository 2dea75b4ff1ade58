using System.Runtime.Versioning;

namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>
/// Files crashed jobs left under /dev/shm. Rank 0 removes them before it creates the job file: those of an earlier
/// job with the same id when every process that made them is dead (a file of a running process means the id is in
/// use by a live job, and joining is refused rather than breaking that job), and orphans of other jobs, whose
/// unique names nobody would ever reuse, so that dead jobs do not hold memory.
/// </summary>
internal static unsafe class LeftoverFiles
{
    /// <summary>
    /// Files younger than this are never taken for orphans: between its creation and the write of its pid a file
    /// looks as if made by a dead process. Live ranks' names are not needed after the rendezvous, so removing the
    /// file of a dead rank never disturbs a job that is still running.
    /// </summary>
    internal static readonly TimeSpan OrphanMinimumAge = TimeSpan.FromMinutes(1);

    /// <summary>Removes the files of <paramref name="jobId"/> whose creators are dead.</summary>
    /// <exception cref="InvalidOperationException">A file belongs to a running process.</exception>
    /// <exception cref="InvalidDataException">A file is not one this transport made (wrong mode).</exception>
    [SupportedOSPlatform("linux")]
    internal static void RemoveDead(string jobId)
    {
        foreach (string path in SharedMemoryNames.FilesOf(jobId))
        {
            byte[] prefix;
            try
            {
                prefix = SharedMemoryFile.ReadPrefix(path, RegionHeader.Size);
            }
            catch (FileNotFoundException)
            {
                continue; // removed meanwhile
            }
            if (CreatorRunning(path, prefix) is int processId)
            {
                throw new InvalidOperationException(
                    $"Job id '{jobId}' is in use: {path} belongs to running process {processId}. Give each job its own KN_JOB " +
                    "(the launcher draws a random one), or wait for that job to end.");
            }
            File.Delete(path);
        }
    }

    /// <summary>
    /// Removes this transport's files under /dev/shm (any job: named kn.*, mode 0600, with its magic) whose creator is
    /// dead; other files are left alone.
    /// </summary>
    [SupportedOSPlatform("linux")]
    internal static void RemoveOrphans()
    {
        foreach (string path in Directory.GetFiles(SharedMemoryNames.Directory, "kn.*"))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < OrphanMinimumAge)
                {
                    continue;
                }
                byte[] prefix = SharedMemoryFile.ReadPrefix(path, RegionHeader.Size);
                if (IsOurs(path, prefix) && CreatorRunning(path, prefix) is null)
                {
                    File.Delete(path);
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // Another user's file, one of another program, or removed meanwhile: not ours to judge.
            }
        }
    }

    /// <summary>Removes every file of <paramref name="jobId"/>; for a launcher whose processes have all exited.</summary>
    /// <returns>The files removed.</returns>
    internal static IReadOnlyList<string> RemoveAll(string jobId)
    {
        string[] files = SharedMemoryNames.FilesOf(jobId);
        foreach (string path in files)
        {
            File.Delete(path);
        }
        return files;
    }

    /// <summary>Whether the file starts with the magic of a job file or a region: only then are its pid fields ours to read.</summary>
    private static bool IsOurs(string path, byte[] prefix)
    {
        fixed (byte* bytes = prefix)
        {
            return SharedMemoryNames.IsSegment(path)
                ? ((RegionHeader*)bytes)->Magic == RegionHeader.ExpectedMagic
                : ((JobFileHeader*)bytes)->Magic == JobFileHeader.ExpectedMagic;
        }
    }

    /// <summary>The pid of the running process that made the file, or null when it is dead (or never got to write its pid).</summary>
    private static int? CreatorRunning(string path, byte[] prefix)
    {
        fixed (byte* bytes = prefix)
        {
            if (!SharedMemoryNames.IsSegment(path))
            {
                var header = (JobFileHeader*)bytes;
                return ProcessLiveness.IsRunning(header->CreatorProcessId, header->CreatorStartTime) ? header->CreatorProcessId : null;
            }
            // A segment's header records its pid but no start time: a reused pid makes the segment look live, which
            // refuses the job (with the pid named) rather than deleting memory of a running job.
            int processId = ((RegionHeader*)bytes)->ProcessId;
            return ProcessLiveness.AnyRunning(processId) ? processId : null;
        }
    }
}
