using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kernels.Perf.Collectives;

/// <summary>
/// One (collective, size) result as a JSON line: what our rank processes print for each contender and what
/// our shared-memory ranks print (<see cref="CollectiveRankCommand"/>), so all child processes are read the same way.
/// </summary>
internal sealed record PeerCase(
    string Peer,
    string Library,
    string Collective,
    string Algorithm,
    int Ranks,
    long Bytes,
    long Count,
    [property: JsonPropertyName("time_us")] double TimeUs,
    long Calls,
    [property: JsonPropertyName("algbw_gbs")] double AlgbwGBs,
    [property: JsonPropertyName("busbw_gbs")] double BusbwGBs,
    long Wrong)
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static PeerCase From(string peer, string library, string collective, string algorithm, int ranks, long bytes, long count,
        double seconds, long calls, long wrong)
    {
        double algbw = bytes / seconds / 1e9;
        return new PeerCase(peer, library, collective, algorithm, ranks, bytes, count, seconds * 1e6, calls, algbw,
            algbw * BusBandwidth.Factor(collective, ranks), wrong);
    }

    /// <summary>The case in a line, or null for any other line (progress or warnings a program prints).</summary>
    public static PeerCase? TryParse(string line)
    {
        if (!line.StartsWith('{'))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<PeerCase>(line, Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public string ToJsonLine() => JsonSerializer.Serialize(this, Options);
}
