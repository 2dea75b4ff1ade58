using System.Globalization;

namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>
/// Whether a process on this host is still running, from <c>/proc/&lt;pid&gt;/stat</c>. Not <c>kill(pid, 0)</c>: that
/// succeeds for a zombie (a killed rank stays one until its parent reaps it, and its siblings cannot) and for an
/// unrelated process that was given the pid again. The stat file tells both apart: its state says zombie, and its
/// start time (clock ticks after boot) identifies the process incarnation.
/// </summary>
internal static class ProcessLiveness
{
    /// <summary>Start time of <paramref name="processId"/>, or null when it is gone or a zombie.</summary>
    internal static long? StartTimeOf(int processId)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // "pid (comm) state ppid ... starttime ...": comm may hold spaces and parentheses, so fields are counted
        // after the last ')'. There, field 0 is the state (stat field 3) and field 19 the start time (stat field 22).
        int end = stat.LastIndexOf(')');
        string[] fields = end >= 0 && end + 2 < stat.Length ? stat[(end + 2)..].Split(' ') : [];
        if (fields.Length < 20 || fields[0] is "Z" or "X" or "x")
        {
            return null;
        }
        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long startTime) ? startTime : null;
    }

    /// <summary>Whether the process that had <paramref name="startTime"/> when it published itself is still running.</summary>
    internal static bool IsRunning(int processId, long startTime) => processId > 0 && StartTimeOf(processId) == startTime;

    /// <summary>Whether some live process has <paramref name="processId"/> (for files that recorded a pid but no start time).</summary>
    internal static bool AnyRunning(int processId) => processId > 0 && StartTimeOf(processId) is not null;

    /// <summary>This process's start time.</summary>
    internal static long OwnStartTime() =>
        StartTimeOf(Environment.ProcessId) ?? throw new InvalidOperationException("/proc/self/stat is unreadable: the shared-memory transport needs Linux procfs.");
}
