using Microsoft.CodeAnalysis;

namespace Kernels.Bindings.Generator;

/// <summary>
/// The generator's diagnostics. All are errors: a declaration that is not bound would otherwise
/// surface only as a missing method far from its cause. Each message names the header and line.
/// </summary>
internal static class BindingDiagnostics
{
    private const string Category = "Kernels.Bindings";

    public static readonly DiagnosticDescriptor UnparsableDeclaration = new(
        "KNB001", "Header declaration cannot be parsed",
        "{0} line {1}: cannot parse declaration: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnmappableType = new(
        "KNB002", "C type has no C# mapping",
        "{0} line {1}: cannot map C type: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidEnumValue = new(
        "KNB003", "Enum member value is not an integer literal",
        "{0} line {1}: invalid enum value: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor MissingPrefix = new(
        "KNB004", "Exported function does not carry the header's prefix",
        "{0} line {1}: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidBindingOptions = new(
        "KNB005", "Invalid bindings comment",
        "{0} line {1}: invalid bindings comment: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateName = new(
        "KNB006", "Name declared twice",
        "{0} line {1}: {2}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
