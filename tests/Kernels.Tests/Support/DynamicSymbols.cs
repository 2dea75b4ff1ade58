using System.Diagnostics;
using NUnit.Framework;

namespace Kernels.Tests.Support;

/// <summary>What a shared library exports, read with <c>nm</c>, to compare against the bindings that import from it.</summary>
internal static class DynamicSymbols
{
    /// <summary>
    /// Defined dynamic symbols (<c>nm -D --defined-only</c>), without absolute symbols (version nodes), the loader's own
    /// _init/_fini and any @version suffix, since none of those is a function a binding could import.
    /// </summary>
    internal static HashSet<string> DefinedIn(string library)
    {
        var nm = new ProcessStartInfo("nm", ["-D", "--defined-only", library])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(nm)!;
        // Read stderr asynchronously so neither pipe can fill up and stall nm while the other is being read.
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"nm failed on {library}: {errors.Result}");

        // Lines look like "000000000000a1b0 T kn_reduce" (or "kn_reduce@@VERS" with a named version node).
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 3 && fields[1] != "A")
            .Select(fields => fields[2].Split('@')[0])
            .Where(name => name is not ("_init" or "_fini"))
            .ToHashSet();
    }
}
