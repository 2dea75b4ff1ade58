namespace Kernels.Perf.Kernels;

/// <summary>An element type the kernels are measured in.</summary>
public sealed record ElementType(string Name, int Size)
{
    public static ElementType F32 { get; } = new("f32", sizeof(float));
    public static ElementType BF16 { get; } = new("bf16", 2);
}
