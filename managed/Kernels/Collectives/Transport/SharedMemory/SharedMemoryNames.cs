using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace Kernels.Collectives.Transport.SharedMemory;

/// <summary>
/// Names of a job's files under /dev/shm. The job file's name comes from the job id (the only thing ranks share
/// before they meet); each rank's segment name adds a random 128-bit nonce that is published only inside the job
/// file (mode 0600), so segment names cannot be guessed even when the job id can.
/// </summary>
/// <remarks>
/// <c>kn.&lt;job&gt;.job</c> and <c>kn.&lt;job&gt;.r&lt;rank&gt;.&lt;nonce&gt;</c>. Job ids may not contain '.', so the
/// prefix <c>kn.&lt;job&gt;.</c> matches exactly one job's files.
/// </remarks>
internal static partial class SharedMemoryNames
{
    internal const string Directory = "/dev/shm";

    /// <summary>Longest job id; keeps names far below NAME_MAX.</summary>
    internal const int MaxJobIdLength = 64;

    /// <summary>Throws unless <paramref name="jobId"/> can name files: 1..64 of [A-Za-z0-9_-].</summary>
    internal static void CheckJobId(string jobId, string source)
    {
        if (!JobIdPattern().IsMatch(jobId))
        {
            throw new ArgumentException(
                $"{source}='{jobId}' is not a valid job id: use 1..{MaxJobIdLength} characters of A-Z, a-z, 0-9, '_' and '-'.");
        }
    }

    /// <summary>A fresh unguessable job id (128 random bits, hex).</summary>
    internal static string NewJobId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>A fresh nonce for one rank's segment.</summary>
    internal static Guid NewNonce() => new(RandomNumberGenerator.GetBytes(16));

    internal static string JobFile(string jobId) => Path.Combine(Directory, $"kn.{jobId}.job");

    internal static string Segment(string jobId, int rank, Guid nonce) => Path.Combine(Directory, $"kn.{jobId}.r{rank}.{nonce:N}");

    /// <summary>Every file of <paramref name="jobId"/> under /dev/shm (the job file and segments), whoever made them.</summary>
    internal static string[] FilesOf(string jobId) => System.IO.Directory.GetFiles(Directory, $"kn.{jobId}.*");

    internal static bool IsSegment(string path) => !path.EndsWith(".job", StringComparison.Ordinal);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex JobIdPattern();
}
