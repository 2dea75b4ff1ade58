namespace Kernels.Cuda;

/// <summary>
/// One NVRTC compilation unit: the main source, the headers it includes by name (<c>#include "x.cuh"</c>), and the
/// name expressions whose instantiations and lowered names are wanted (<c>"kn::reduce_elements&lt;kn::F16Storage, kn::SumOp&gt;"</c>).
/// </summary>
public sealed class CudaProgramSource
{
    /// <summary>Creates a program from text.</summary>
    /// <exception cref="ArgumentException">An empty name, or a header or name expression that is empty.</exception>
    public CudaProgramSource(string name, string text, IReadOnlyDictionary<string, string> headers, IReadOnlyList<string> nameExpressions)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(nameExpressions);
        if (headers.Any(h => string.IsNullOrEmpty(h.Key) || h.Value == null))
            throw new ArgumentException("every header needs a name and a text", nameof(headers));
        if (nameExpressions.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("name expressions may not be empty", nameof(nameExpressions));
        Name = name;
        Text = text;
        Headers = headers;
        NameExpressions = nameExpressions;
    }

    /// <summary>File name shown in NVRTC's log (e.g. rms_norm.cu).</summary>
    public string Name { get; }
    /// <summary>The main source text.</summary>
    public string Text { get; }
    /// <summary>Headers by include name.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; }
    /// <summary>Kernels to instantiate and look up by their C++ spelling.</summary>
    public IReadOnlyList<string> NameExpressions { get; }
}
