using System.Diagnostics;
using NUnit.Framework;

namespace Kernels.Tests.Package;

/// <summary>
/// The NuGet package works for a consumer, not only inside the solution: pack it into a local folder feed, build a fresh
/// console project that references it, run it, and check what it computed.
/// </summary>
[Category("Package")]
[NonParallelizable]
public class PackageConsumerTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Test]
    public void FreshConsoleProjectRunsAKernelFromThePackage()
    {
        string repo = RepositoryRoot();
        string work = Directory.CreateTempSubdirectory("kernels-package-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");
            Run("dotnet", $"pack \"{Path.Combine(repo, "managed/Kernels/Kernels.csproj")}\" -c {Configuration} --no-build -o \"{feed}\" -nologo", repo);
            string package = Directory.GetFiles(feed, "Kernels.*.nupkg").Single();
            using (var archive = System.IO.Compression.ZipFile.OpenRead(package))
            {
                var entries = archive.Entries.Select(e => e.FullName).ToArray();
                Assert.That(entries, Does.Contain("runtimes/linux-x64/native/libkernels.so"));
                Assert.That(entries, Does.Contain("runtimes/linux-x64/native/libhwy.so.1"));
                // Both MPI shims (./build.sh deps installs Open MPI and MPICH): a process loads the one of its launcher.
                Assert.That(entries, Does.Contain("runtimes/linux-x64/native/libkernels_mpi.so"));
                Assert.That(entries, Does.Contain("runtimes/linux-x64/native/libkernels_mpi_mpich.so"));
                Assert.That(entries, Does.Contain("lib/net10.0/Kernels.dll"));
            }
            string version = Path.GetFileNameWithoutExtension(package)["Kernels.".Length..];

            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources><clear /><add key="local" value="{feed}" /></packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "app.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <RestorePackagesPath>{Path.Combine(work, "packages")}</RestorePackagesPath>
                  </PropertyGroup>
                  <ItemGroup><PackageReference Include="Kernels" Version="{version}" /></ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using System.Linq;
                using Kernels;
                float[] x = { 3f, 4f }, w = { 1f, 2f }, y = new float[2];
                RmsNorm.Normalize<float>(x, w, y, cols: 2, eps: 1e-12f);
                System.Console.WriteLine(string.Join(" ", y.Select(v => v.ToString("F5", System.Globalization.CultureInfo.InvariantCulture))) + " " + CpuInfo.ActiveTarget);
                """);
            // The consumer must not find the library through the solution's environment.
            string output = Run("dotnet", "run -c Release -nologo", app, ("KERNELS_NATIVE_PATH", ""));
            // rms = sqrt((9 + 16) / 2) = 3.53553: y = (0.84853, 2.26274).
            Assert.That(output.Trim(), Does.StartWith("0.84853 2.26274 "));
            Assert.That(output.Trim().Split(' ')[2], Is.EqualTo(CpuInfo.ActiveTarget.Name));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Kernels.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("Kernels.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Run(string file, string arguments, string directory, params (string Name, string Value)[] environment)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach ((string name, string value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(), stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {arguments} did not finish in 5 minutes");
        }
        Assert.That(process.ExitCode, Is.EqualTo(0), $"{file} {arguments} failed:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }
}
