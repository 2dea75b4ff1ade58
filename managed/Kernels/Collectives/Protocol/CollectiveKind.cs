namespace Kernels.Collectives.Protocol;

/// <summary>Which collective a descriptor announces; part of the match check.</summary>
internal enum CollectiveKind
{
    AllReduce = 1,
    ReduceScatter = 2,
    AllGather = 3,
    AllGatherV = 4,
    Broadcast = 5,
    Barrier = 6,
    AllReduceAddRmsNorm = 7,
    AllToAllV = 8,
    AllToAll = 9,
}
