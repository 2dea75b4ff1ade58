using System.Collections.Concurrent;
using System.Diagnostics;
using Kernels.Collectives;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>What each rank of a launched job printed, with the time each line arrived.</summary>
internal sealed class RankLines(int size)
{
    private readonly ConcurrentQueue<(RankOutput Line, long Timestamp)>[] _lines =
        [.. Enumerable.Range(0, size).Select(_ => new ConcurrentQueue<(RankOutput, long)>())];

    internal void Add(RankOutput line) => _lines[line.Rank].Enqueue((line, Stopwatch.GetTimestamp()));

    internal IEnumerable<string> Of(int rank) => _lines[rank].Select(entry => entry.Line.Line);

    internal IEnumerable<RankOutput> Output(int rank) => _lines[rank].Select(entry => entry.Line);

    /// <summary>When <paramref name="rank"/> first printed a line starting with <paramref name="prefix"/> (Stopwatch ticks), if it did.</summary>
    internal long? FirstTime(int rank, string prefix) =>
        _lines[rank].Where(entry => entry.Line.Line.StartsWith(prefix, StringComparison.Ordinal)).Select(entry => (long?)entry.Timestamp).FirstOrDefault();

    internal string Describe() => string.Join(Environment.NewLine,
        _lines.SelectMany((queue, rank) => queue.Select(entry => $"[{rank}{(entry.Line.IsError ? " err" : "")}] {entry.Line.Line}")));
}
