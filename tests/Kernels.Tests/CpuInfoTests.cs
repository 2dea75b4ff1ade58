using NUnit.Framework;

namespace Kernels.Tests;

[NonParallelizable]
public class CpuInfoTests
{
    [Test]
    public void SupportedTargetsAreCompiledAndIncludeTheActiveOne()
    {
        Assert.That(CpuInfo.SupportedTargets, Is.Not.Empty);
        Assert.That(CpuInfo.CompiledTargets, Is.SupersetOf(CpuInfo.SupportedTargets));
        Assert.That(CpuInfo.SupportedTargets, Does.Contain(CpuInfo.ActiveTarget));
        Assert.That(CpuInfo.ActiveTarget, Is.EqualTo(CpuInfo.SupportedTargets[0]), "without a restriction the best target is active");
        Assert.That(CpuInfo.Cores, Is.EqualTo(Environment.ProcessorCount));
    }

    [Test]
    public void RestrictionSwitchesAndRestores()
    {
        SimdTarget best = CpuInfo.ActiveTarget;
        SimdTarget worst = CpuInfo.SupportedTargets[^1];
        using (CpuInfo.RestrictTo(worst))
        {
            Assert.That(CpuInfo.ActiveTarget, Is.EqualTo(worst));
        }
        Assert.That(CpuInfo.ActiveTarget, Is.EqualTo(best));
    }

    [Test]
    public void RestrictingToAnUnsupportedTargetIsRejected()
    {
        var unsupported = CpuInfo.CompiledTargets.Except(CpuInfo.SupportedTargets).Append(new SimdTarget(1L << 62, "bogus")).First();
        var exception = Assert.Throws<ArgumentException>(() => CpuInfo.RestrictTo(unsupported))!;
        Assert.That(exception.ParamName, Is.EqualTo("target"));
    }
}
