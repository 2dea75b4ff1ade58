namespace Kernels.Perf.Kernels;

/// <summary>One implementation of a case: ours or a peer. <see cref="Call"/> is null when it cannot run here, with the reason.</summary>
public sealed record Contender(string Implementation, Action? Call, string? UnavailableReason = null, IDisposable? Resources = null)
{
    public static Contender Unavailable(string implementation, string reason) => new(implementation, null, reason);
}
