namespace Kernels.Perf.Kernels;

/// <summary>
/// The sizes kernels are measured at, as bytes of one input operand in its own type: from L2-resident
/// (64 KiB) to well past the 32 MiB L3 (64 MiB). Norms use 4096-wide rows, and always include the
/// 4096 x 4096 shape the headline figures quote.
/// </summary>
public static class KernelSizes
{
    public const int NormCols = 4096;
    public const int HeadlineRows = 4096;

    private static readonly long[] s_full = [64L << 10, 256L << 10, 1L << 20, 4L << 20, 16L << 20, 64L << 20];
    private static readonly long[] s_quick = [64L << 10, 1L << 20, 16L << 20];

    public static IReadOnlyList<long> OperandBytes(bool quick) => quick ? s_quick : s_full;

    /// <summary>Row counts for 4096-wide rows of <paramref name="type"/>: one per operand size, plus 4096 rows.</summary>
    public static IReadOnlyList<int> NormRows(bool quick, ElementType type) =>
        OperandBytes(quick)
            .Select(bytes => (int)(bytes / ((long)NormCols * type.Size)))
            .Append(HeadlineRows)
            .Distinct()
            .Order()
            .ToList();

    /// <summary>"64KiB", "16MiB": for item names and table rows.</summary>
    public static string Label(long bytes) =>
        bytes >= 1L << 20 && bytes % (1L << 20) == 0 ? $"{bytes >> 20}MiB" : $"{bytes >> 10}KiB";
}
