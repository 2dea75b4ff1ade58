namespace Kernels.Cuda;

/// <summary>
/// The asynchronous waits of the multi-GPU communicators: a completion check polled every millisecond on the thread
/// pool, so no thread blocks on the GPU. Kept outside the unsafe classes, whose bodies cannot await.
/// </summary>
internal static class CompletionPolling
{
    /// <summary>Completes when <paramref name="finished"/> returns true; faults with whatever it throws.</summary>
    internal static async Task UntilAsync(Func<bool> finished, CancellationToken cancellationToken)
    {
        while (!finished())
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
    }
}
