namespace Kernels.Perf.Kernels;

/// <summary>Names of the contenders, as they appear in tables, charts and results.json.</summary>
public static class Implementations
{
    public const string Ours = "Kernels";
    public const string TensorPrimitives = "TensorPrimitives";
    public const string Vector256 = "Vector256 C#";
    public const string OnnxRuntime = "ONNX Runtime";
    public const string Scalar = "scalar C#";
    public const string NativeLoop = "native loop";
}
