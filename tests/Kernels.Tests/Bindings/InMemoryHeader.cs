using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Kernels.Tests.Bindings;

/// <summary>A header handed to the generator as an AdditionalFiles item without touching the disk.</summary>
internal sealed class InMemoryHeader(string path, string text) : AdditionalText
{
    public override string Path { get; } = path;

    public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
}
