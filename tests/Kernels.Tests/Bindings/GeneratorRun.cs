using System.Collections.Immutable;
using Kernels.Bindings.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kernels.Tests.Bindings;

/// <summary>The outcome of running the bindings generator on one header, as the compiler would.</summary>
internal sealed class GeneratorRun
{
    private GeneratorRun(string generatedSource, ImmutableArray<Diagnostic> generatorDiagnostics, ImmutableArray<Diagnostic> compileErrors)
    {
        GeneratedSource = generatedSource;
        GeneratorDiagnostics = generatorDiagnostics;
        CompileErrors = compileErrors;
    }

    /// <summary>All generated files, concatenated.</summary>
    public string GeneratedSource { get; }
    public ImmutableArray<Diagnostic> GeneratorDiagnostics { get; }
    /// <summary>Errors from compiling the generated code, so a test also proves the output is valid C#.</summary>
    public ImmutableArray<Diagnostic> CompileErrors { get; }

    public static GeneratorRun On(string header, string path = "/headers/sample.h")
    {
        var compilation = CSharpCompilation.Create(
            "BindingsUnderTest",
            references: PlatformReferences(),
            options: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new HeaderBindingsGenerator().AsSourceGenerator()],
            additionalTexts: [new InMemoryHeader(path, header)]);

        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);

        var generated = driver.GetRunResult().GeneratedTrees.Select(tree => tree.ToString());
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        return new GeneratorRun(string.Join("\n", generated), diagnostics, errors);
    }

    private static IEnumerable<MetadataReference> PlatformReferences() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
}
