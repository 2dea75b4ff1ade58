using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kernels.Perf.Core;

namespace Kernels.Perf.Report;

/// <summary>results.json: the run description and every measurement, for tools and later comparisons.</summary>
public static class ResultsJson
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // Contenders that could not run carry NaN times.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        // Keeps "f32->bf16" readable instead of "f32-\u003Ebf16"; the file is data, never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Render(RunInfo run, IReadOnlyList<Measurement> measurements, IReadOnlyList<string> failures) =>
        JsonSerializer.Serialize(new { run, failures, measurements }, s_options);
}
