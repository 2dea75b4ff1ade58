namespace Kernels.Perf.Report;

/// <summary>perf/results/&lt;yyyyMMdd-HHmmss&gt;/ for one run, and a `latest` symlink (or text file where links fail) to it.</summary>
public static class RunFolder
{
    public static string Create(string root, DateTime startedUtc)
    {
        string folder = Path.Combine(root, startedUtc.ToString("yyyyMMdd-HHmmss"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void PointLatestAt(string root, string folder)
    {
        string latest = Path.Combine(root, "latest");
        string name = Path.GetFileName(folder);
        try
        {
            if (File.Exists(latest) || Directory.Exists(latest) || new FileInfo(latest).LinkTarget is not null)
            {
                File.Delete(latest);
            }
            File.CreateSymbolicLink(latest, name);
        }
        catch (IOException)
        {
            File.WriteAllText(latest, name + Environment.NewLine);
        }
        catch (UnauthorizedAccessException)
        {
            File.WriteAllText(latest, name + Environment.NewLine);
        }
    }
}
