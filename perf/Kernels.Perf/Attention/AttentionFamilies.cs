namespace Kernels.Perf.Attention;

/// <summary>Names the attention group's measurements carry (group, families, peers).</summary>
public static class AttentionFamilies
{
    public const string Group = "attention";
    public const string Forward = "attention.forward";
    public const string Backward = "attention.backward";
    public const string Decode = "attention.decode";
    public const string Ring = "attention.ring";
    public const string Varlen = "attention.varlen";

    public const string OpenBlas = "OpenBLAS materialised";
    public const string FmaPeakInTurns = "FMA peak, in turns";
    public const string SplitKv = "Kernels split-KV";
    public const string NoSplit = "Kernels one pass";
    public const string RingStep = "ring step";
    public const string RingOverlap = "ring overlap";
    public const string PackedOneLoop = "Kernels varlen (one loop)";
    public const string PerSequence = "Kernels per-sequence calls";
}
