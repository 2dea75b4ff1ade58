namespace Kernels.Perf.Compression;

/// <summary>Family and contender names of the compression group, as they appear in results.json, report.md and charts.</summary>
internal static class CompressionFamilies
{
    public const string Group = "compression";

    public const string OneBitCompressEf = "onebit.compress_ef";
    public const string OneBitDecompress = "onebit.decompress";
    public const string TopK = "topk";
    public const string TopKExchange = "topk.exchange";
    public const string PowerSgd = "powersgd";
    public const string Convergence = "convergence";

    public const string TopKExact = "Kernels exact";
    public const string TopKSampled = "Kernels sampled";
    public const string StdSort = "std::sort of magnitudes";
    public const string OpenBlas = "OpenBLAS";
}
