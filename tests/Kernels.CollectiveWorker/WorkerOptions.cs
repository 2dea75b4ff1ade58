using Kernels.Collectives;

namespace Kernels.CollectiveWorker;

/// <summary>The communicator settings every rank uses (they must agree across ranks).</summary>
internal static class WorkerOptions
{
    /// <summary>One page per staging slot, so 1025 floats already take two rounds; a small heap. Timeout from KN_TIMEOUT_MS, logging from KN_DEBUG.</summary>
    internal static readonly CommunicatorOptions Small = new()
    {
        StagingSlotBytes = 4096,
        BufferHeapBytes = 4 << 20,
        Debug = Environment.GetEnvironmentVariable("KN_DEBUG") == "1",
    };
}
