using NUnit.Framework;

namespace Kernels.Tests.Cuda;

/// <summary>Files of the source tree the tests read (kernel sources, curated headers).</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder holding Kernels.sln, found above the test output folder.</summary>
    internal static string Root()
    {
        for (var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); folder != null; folder = folder.Parent)
            if (File.Exists(Path.Combine(folder.FullName, "Kernels.sln")))
                return folder.FullName;
        throw new InvalidOperationException("Kernels.sln not found above the test folder");
    }
}
