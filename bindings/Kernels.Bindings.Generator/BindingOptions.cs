using System;
using System.Collections.Generic;
using System.IO;
using System.Text.RegularExpressions;

namespace Kernels.Bindings.Generator;

/// <summary>
/// Per-header settings, so headers of other libraries (CUDA driver, NVRTC, the MPI shim) go through
/// the same generator. A header states them in a comment line of its own, e.g.
/// <c>// bindings: library=cuda class=CudaDriverMethods prefix=cu api=CUDAAPI</c>.
/// Without one, a header binds like kernels.h: library = the file name without extension,
/// class NativeMethods, constants class NativeConstants, prefix kn_, export macro KN_API,
/// namespace Kernels.Interop.
/// </summary>
internal sealed class BindingOptions
{
    private static readonly Regex OptionsComment = new(
        @"^\s*(?://|/\*)\s*bindings:(?<options>.*?)(?:\*/)?\s*$", RegexOptions.Compiled);

    private BindingOptions(string headerName, string library)
    {
        HeaderName = headerName;
        Library = library;
    }

    /// <summary>File name of the header, used in diagnostics and generated comments.</summary>
    public string HeaderName { get; }
    /// <summary>The DllImport library name the loader resolves.</summary>
    public string Library { get; private set; }
    public string Namespace { get; private set; } = "Kernels.Interop";
    public string MethodsClass { get; private set; } = "NativeMethods";
    public string ConstantsClass { get; private set; } = "NativeConstants";
    /// <summary>Every exported function starts with it; its upper-case form selects the #define constants.</summary>
    public string Prefix { get; private set; } = "kn_";
    /// <summary>The macro that marks an exported function declaration.</summary>
    public string ExportMacro { get; private set; } = "KN_API";

    public string ConstantPrefix => Prefix.ToUpperInvariant();

    public static BindingOptions Read(string path, string[] lines, List<HeaderProblem> problems)
    {
        var options = new BindingOptions(Path.GetFileName(path), Path.GetFileNameWithoutExtension(path));
        int offset = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            var match = OptionsComment.Match(lines[i]);
            if (match.Success)
                options.Apply(match.Groups["options"].Value, offset, lines[i].Length, i + 1, problems);
            offset += lines[i].Length + 1;
        }
        return options;
    }

    private void Apply(string text, int offset, int length, int line, List<HeaderProblem> problems)
    {
        foreach (var pair in text.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            string key = equals > 0 ? pair.Substring(0, equals) : pair;
            string value = equals > 0 ? pair.Substring(equals + 1) : "";
            if (value.Length == 0 || !Set(key, value))
                problems.Add(new HeaderProblem(BindingDiagnostics.InvalidBindingOptions, offset, length, line,
                    $"'{pair}' (expected key=value with key one of library, namespace, class, constants, prefix, api)"));
        }
    }

    private bool Set(string key, string value)
    {
        switch (key)
        {
            case "library": Library = value; return true;
            case "namespace": Namespace = value; return true;
            case "class": MethodsClass = value; return true;
            case "constants": ConstantsClass = value; return true;
            case "prefix": Prefix = value; return true;
            case "api": ExportMacro = value; return true;
            default: return false;
        }
    }
}
