using System.Runtime.CompilerServices;
using Kernels.Collectives.Protocol;
using Kernels.Collectives.Transport;
using NUnit.Framework;

namespace Kernels.Tests.Collectives;

/// <summary>
/// The shared-memory layout is a contract between ranks (and, between processes, between builds): the offsets peers
/// poll by number must be where the fields are, and nothing may spill past the header.
/// </summary>
[TestFixture]
public unsafe class RegionLayoutTests
{
    [Test]
    public void Header_offsets_match_the_fields()
    {
        var header = new RegionHeader();
        byte* origin = (byte*)&header;
        Assert.That(Unsafe.SizeOf<RegionHeader>(), Is.EqualTo(RegionHeader.Size));
        Assert.That(Unsafe.SizeOf<CollectiveDescriptor>(), Is.EqualTo(128));
        Assert.That((byte*)&header.Progress - origin, Is.EqualTo(RegionHeader.ProgressOffset));
        Assert.That((byte*)&header.SentTo[5] - origin, Is.EqualTo(RegionHeader.SentToOffset(5)));
        Assert.That((byte*)&header.AckedFrom[7] - origin, Is.EqualTo(RegionHeader.AckedFromOffset(7)));
        Assert.That((byte*)&header.RejectedFrom[63] - origin, Is.EqualTo(RegionHeader.RejectedFromOffset(63)));
        Assert.That((byte*)&header.SendElementTag[RegionHeader.MaxRanks - 1] + sizeof(int) - origin, Is.LessThanOrEqualTo(RegionHeader.Size));
        Assert.That((byte*)&header.Descriptor1 + sizeof(CollectiveDescriptor) - origin, Is.LessThanOrEqualTo(RegionHeader.SentToOffset(0)));
        Assert.That(RegionHeader.ProgressOffset % 64, Is.Zero, "the progress counter has its own cache line");
    }

    [Test]
    public void Slots_and_heap_are_page_aligned_and_follow_the_header()
    {
        RegionLayout layout = RegionLayout.For(slotBytes: 5000, heapBytes: 10);
        Assert.That(layout.SlotBytes, Is.EqualTo(8192));
        Assert.That(layout.SlotOffset(0), Is.EqualTo(RegionHeader.Size));
        Assert.That(layout.SlotOffset(1), Is.EqualTo(RegionHeader.Size + 8192));
        Assert.That(layout.HeapOffset, Is.EqualTo(RegionHeader.Size + 2 * 8192));
        Assert.That(layout.TotalBytes, Is.EqualTo(layout.HeapOffset + 4096));
    }
}
