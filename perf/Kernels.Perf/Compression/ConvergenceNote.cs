using System.Globalization;
using Kernels.Perf.Compression.Convergence;

namespace Kernels.Perf.Compression;

/// <summary>
/// What a convergence measurement carries beyond its value (the final loss): test accuracy, bytes per step after 1-bit Adam's
/// warm-up, the dense bytes per step, the epochs trained and the loss curve, as "key=value" pairs in <see cref="Core.Measurement.Note"/>, so
/// results.json holds the whole experiment. Written and read only here.
/// </summary>
internal sealed record ConvergenceNote(double Accuracy, double BytesAfterWarmUp, double DenseBytes, int[] CurveSteps, double[] CurveLosses, int Epochs)
{
    public static string Write(ConvergenceResult r, int epochs) => string.Join("; ",
        $"accuracy={Number(r.TestAccuracy)}",
        $"epochs={epochs}",
        $"bytes_after_warmup={Number(r.BytesPerStepCompressed)}",
        $"dense_bytes={Number(r.DenseBytesPerStep)}",
        "curve=" + string.Join(",", r.CurveSteps.Zip(r.CurveLosses, (s, l) => $"{s}:{Number(l)}")));

    public static ConvergenceNote? Read(string? note)
    {
        if (note is null) return null;
        Dictionary<string, string> pairs = note.Split("; ").Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        if (!pairs.TryGetValue("accuracy", out string? accuracy) || !pairs.TryGetValue("curve", out string? curve)) return null;
        string[][] points = curve.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split(':')).ToArray();
        return new ConvergenceNote(Parse(accuracy), Parse(pairs.GetValueOrDefault("bytes_after_warmup", "NaN")),
            Parse(pairs.GetValueOrDefault("dense_bytes", "NaN")),
            points.Select(p => int.Parse(p[0], CultureInfo.InvariantCulture)).ToArray(), points.Select(p => Parse(p[1])).ToArray(),
            int.Parse(pairs.GetValueOrDefault("epochs", "0"), CultureInfo.InvariantCulture));
    }

    private static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static double Parse(string text) => double.Parse(text, CultureInfo.InvariantCulture);
}
