using Kernels.Collectives.Protocol;

namespace Kernels.Collectives.Mpi;

/// <summary>
/// The collectives of a job spanning several hosts: shared memory (<see cref="Local"/>, a communicator of this host's
/// ranks) inside a host, MPI between hosts. Local rank j below <see cref="HostTopology.MinLocalSize"/> (m) carries
/// shard j of m over <see cref="_cross"/>, the MPI communicator of local rank j on every host, in host order.
/// </summary>
/// <remarks>
/// <para>Reductions (all-reduce, reduce-scatter, fused add + RMSNorm; HostHierarchy.HostReduction.cs): 16-bit inputs
/// widened to fp32; host-local reduce-scatter into m lanes (all-reduce where the host has more than m ranks); each lane
/// reduce-scattered between hosts — each host receives the other hosts' partials of only its own piece and reduces them in
/// host order <c>((h0 op h1) op h2) ...</c> with libkernels, scaled (Avg) and rounded once to the element type — then the
/// pieces are gathered where they are needed (all-gather between hosts and on the host for all-reduce; on the host only
/// for reduce-scatter). Each element is reduced once, so every rank gets the same bits, and the three collectives agree.</para>
/// <para>Every collective first all-gathers its descriptor through the hierarchy, so ranks on different hosts that disagree
/// all throw the same <see cref="CollectiveMismatchException"/> before data moves. Data between hosts travels only through
/// <see cref="NativeScratch"/> memory (see there); the world MPI communicator carries only point-to-point between hosts
/// (Send/Recv and all-to-all blocks).</para>
/// </remarks>
internal sealed unsafe partial class HostHierarchy : IDisposable
{
    private readonly MpiLink _world;
    private readonly MpiLink _cross;
    private readonly TimeSpan _timeout;
    private readonly NativeScratch _headers = new(), _wide = new(), _partial = new(), _gathered = new(), _shard = new(), _whole = new(), _rows = new(), _outgoing = new(), _incoming = new();
    private ulong _sequence;
    private bool _abandoned;

    internal HostHierarchy(Communicator local, MpiLink world, MpiLink cross, HostTopology topology, TimeSpan timeout)
    {
        Local = local;
        _world = world;
        _cross = cross;
        Topology = topology;
        _timeout = timeout;
    }

    /// <summary>This host's ranks over shared memory.</summary>
    internal Communicator Local { get; }

    internal HostTopology Topology { get; }

    /// <summary>
    /// Every rank's descriptor, gathered through the hierarchy (so a dead peer on this host is seen at once by the host
    /// communicator) and compared: a disagreement throws on every rank alike, before any data moves.
    /// </summary>
    private void Agree(CollectiveCall call, CollectiveDescriptor mine, CancellationToken cancellation)
    {
        mine.Sequence = ++_sequence;
        var all = new CollectiveDescriptor[Topology.Size];
        var one = new long[Topology.Size];
        Array.Fill(one, 1);
        fixed (CollectiveDescriptor* gathered = all)
        {
            GatherV(call, &mine, gathered, one, cancellation);
        }
        DescriptorCheck.VerifyAgreement(all, mine.Sequence);
    }

    /// <summary>Runs a collective of this host's communicator; its failures name ranks of the host, renamed here to the job's.</summary>
    private void OnHost(string operation, Action collective)
    {
        try
        {
            collective();
        }
        catch (PeerLostException lost)
        {
            throw new PeerLostException($"{operation} ({lost.Operation} on this host)", ToJob(lost.LostRanks),
                $"seen by this host's shared-memory communicator: {lost.Message}");
        }
        catch (CollectiveTimeoutException late)
        {
            throw new CollectiveTimeoutException($"{operation} ({late.Operation} on this host)", ToJob(late.MissingRanks), late.Timeout);
        }
    }

    private int[] ToJob(IReadOnlyList<int> localRanks) => [.. localRanks.Select(local => Topology.Members[Topology.Host][local])];

    /// <summary>Runs an MPI phase; if it gives up (deadline, cancellation, MPI error) its scratch may still be in MPI's hands.</summary>
    private void Guard(Action phase)
    {
        try
        {
            phase();
        }
        catch
        {
            _abandoned = true;
            throw;
        }
    }

    private static CancellationTokenSource Tokens(CollectiveCall call) =>
        CancellationTokenSource.CreateLinkedTokenSource(call.Cancellation, call.Disposal);

    /// <summary>Leaves the job: the host communicator first (peers on this host see it closed), then the MPI handles, unless
    /// an abandoned MPI operation may still use them.</summary>
    public void Dispose()
    {
        Local.Dispose();
        if (!_abandoned)
        {
            _cross.Dispose();
            _world.Dispose();
        }
        foreach (NativeScratch scratch in new[] { _headers, _wide, _partial, _gathered, _shard, _whole, _rows, _outgoing, _incoming })
        {
            scratch.Release(_abandoned);
        }
    }
}
