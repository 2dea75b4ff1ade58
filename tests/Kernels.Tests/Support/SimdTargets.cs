using NUnit.Framework;

namespace Kernels.Tests.Support;

/// <summary>Runs a fixture once per SIMD target this CPU supports, with dispatch forced to that target.</summary>
internal static class SimdTargets
{
    /// <summary>Fixture arguments: every supported target, by name so test names read well.</summary>
    internal static IEnumerable<TestFixtureData> Supported() =>
        CpuInfo.SupportedTargets.Select(t => new TestFixtureData(t.Name).SetArgDisplayNames(t.Name));

    internal static SimdTarget Named(string name) => CpuInfo.SupportedTargets.Single(t => t.Name == name);
}

/// <summary>Base of fixtures whose tests must run on one forced target each.</summary>
[NonParallelizable]
public abstract class PerTargetFixture(string targetName)
{
    private IDisposable? _restriction;

    protected string TargetName { get; } = targetName;

    [OneTimeSetUp]
    public void ForceTarget()
    {
        _restriction = CpuInfo.RestrictTo(SimdTargets.Named(TargetName));
        Assert.That(CpuInfo.ActiveTarget.Name, Is.EqualTo(TargetName), "dispatch did not switch to the forced target");
    }

    [OneTimeTearDown]
    public void RestoreTarget() => _restriction?.Dispose();
}
