using Kernels.Execution;
using NUnit.Framework;

namespace Kernels.Tests.Execution;

public class WorkPartitionTests
{
    /// <summary>Exhaustive over small shapes: the slices tile [0, items) exactly, in order, with aligned inner boundaries.</summary>
    [Test]
    public void SlicesTileTheRangeExactly([Values(1, 2, 3, 4, 7)] int parts, [Values(1, 16, 64)] int alignment)
    {
        for (long items = 0; items <= 700; items++)
        {
            long next = 0;
            for (int part = 0; part < parts; part++)
            {
                (long start, long count) = WorkPartition.Slice(items, parts, part, alignment);
                Assert.That(start, Is.EqualTo(next), $"items={items} part={part}");
                Assert.That(count, Is.GreaterThanOrEqualTo(0));
                if (start + count < items)
                {
                    Assert.That((start + count) % alignment, Is.EqualTo(0), $"items={items} part={part}: an inner boundary is off alignment");
                }
                next = start + count;
            }
            Assert.That(next, Is.EqualTo(items));
        }
    }

    [Test]
    public void SmallCallsStayOnTheCallersThread()
    {
        Assert.That(WorkPartition.PartsFor(items: 4096, bytesPerItem: 12), Is.EqualTo(1));
        Assert.That(WorkPartition.PartsFor(items: 1 << 24, bytesPerItem: 12), Is.EqualTo(Math.Min(KernelThreading.MaxDegreeOfParallelism, 1 << 18)));
    }

    [Test]
    public void MaxDegreeOfParallelismRejectsZero()
        => Assert.Throws<ArgumentOutOfRangeException>(() => KernelThreading.MaxDegreeOfParallelism = 0);
}
