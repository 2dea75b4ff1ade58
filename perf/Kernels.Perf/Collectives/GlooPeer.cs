using System.Diagnostics;

namespace Kernels.Perf.Collectives;

/// <summary>
/// kn_peer_gloo: gloo::AllreduceRing over TCP on 127.0.0.1, two processes meeting through a FileStore in a fresh
/// private folder. Gloo runs only the all-reduce.
/// </summary>
internal static class GlooPeer
{
    public static (IReadOnlyList<PeerCase> Cases, string? Problem) Run(SweepPlan plan)
    {
        string? peer = PeerPrograms.Find("kn_peer_gloo", out string problem);
        if (peer is null)
        {
            return ([], problem);
        }
        DirectoryInfo rendezvous = Directory.CreateTempSubdirectory("kn-gloo-");
        try
        {
            // The other ranks in the background, their output left to this console (only rank 0 prints cases; their
            // errors are worth seeing); rank 0 is read.
            var others = Enumerable.Range(1, SweepPlan.Ranks - 1)
                .Select(rank => Process.Start(peer, [rank.ToString(), SweepPlan.Ranks.ToString(), rendezvous.FullName, .. plan.Arguments()]))
                .ToList();
            var result = ChildProcess.Run(peer, ["0", SweepPlan.Ranks.ToString(), rendezvous.FullName, .. plan.Arguments()], plan.ChildDeadline);
            foreach (Process other in others)
            {
                if (!other.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    other.Kill();
                }
                other.Dispose();
            }
            return result;
        }
        finally
        {
            rendezvous.Delete(recursive: true);
        }
    }
}
