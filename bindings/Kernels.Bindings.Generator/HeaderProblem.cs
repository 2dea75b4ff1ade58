using Microsoft.CodeAnalysis;

namespace Kernels.Bindings.Generator;

/// <summary>
/// Something in a header the generator could not turn into a binding. Kept as plain data (offsets
/// into the header text) so the parser needs no Roslyn locations; the generator turns it into an error.
/// </summary>
internal sealed class HeaderProblem
{
    public HeaderProblem(DiagnosticDescriptor descriptor, int offset, int length, int line, string detail)
    {
        Descriptor = descriptor;
        Offset = offset;
        Length = length;
        Line = line;
        Detail = detail;
    }

    public DiagnosticDescriptor Descriptor { get; }
    public int Offset { get; }
    public int Length { get; }
    /// <summary>1-based line in the header.</summary>
    public int Line { get; }
    public string Detail { get; }
}
