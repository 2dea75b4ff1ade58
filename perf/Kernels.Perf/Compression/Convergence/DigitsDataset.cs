using System.Globalization;
using System.IO.Compression;

namespace Kernels.Perf.Compression.Convergence;

/// <summary>
/// The UCI handwritten digits (1797 images of 8x8 pixels, values 0..16, 10 classes) as shipped in Debian's python3-sklearn
/// (sklearn/datasets/data/digits.csv.gz: 64 pixel columns then the label). `build.sh data` extracts it into build/data; it is never committed.
/// </summary>
public static class DigitsDataset
{
    public const string RelativePath = "build/data/sklearn/datasets/data/digits.csv.gz";

    /// <summary>The file under the repository this binary was built from, or null when it has not been extracted.</summary>
    public static string? Locate()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, RelativePath);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Reads the file; pixels are scaled to [0, 1].</summary>
    /// <exception cref="InvalidDataException">A row does not have 65 numeric columns or a label outside 0..9.</exception>
    public static Dataset Load(string path)
    {
        const int features = 64;
        var x = new List<float>();
        var labels = new List<int>();
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        int line = 0;
        for (string? text = reader.ReadLine(); text is not null; text = reader.ReadLine())
        {
            line++;
            if (text.Length == 0) continue;
            string[] cells = text.Split(',');
            if (cells.Length != features + 1) throw new InvalidDataException($"{path}:{line} has {cells.Length} columns, expected {features + 1}.");
            for (int f = 0; f < features; f++) x.Add(float.Parse(cells[f], CultureInfo.InvariantCulture) / 16f);
            int label = (int)float.Parse(cells[features], CultureInfo.InvariantCulture);
            if ((uint)label > 9) throw new InvalidDataException($"{path}:{line} has label {label}.");
            labels.Add(label);
        }
        return new Dataset("digits", [.. x], [.. labels], features, 10);
    }
}
