using System.Runtime.Versioning;
using Kernels.Collectives;
using Kernels.Collectives.Transport;
using Kernels.Collectives.Transport.SharedMemory;
using NUnit.Framework;

namespace Kernels.Tests.Collectives.Processes;

/// <summary>A one-rank shared-memory job inside the test process: where its memory lives and that Dispose removes it.</summary>
[TestFixture]
[SupportedOSPlatform("linux")]
public sealed class SharedSegmentTests
{
    private static readonly CommunicatorOptions Small = new() { StagingSlotBytes = 4096, BufferHeapBytes = 1 << 20, Timeout = TimeSpan.FromSeconds(10) };

    [Test]
    public void AllocatedBuffersLiveInTheRanksSegmentWhichIsOwnerOnlyAndRemovedOnDispose()
    {
        string jobId = SharedMemoryNames.NewJobId();
        using (Communicator communicator = Communicator.CreateSharedMemory(0, 1, jobId, Small))
        {
            string[] files = Worker.FilesOf(jobId);
            Assert.That(files, Has.Length.EqualTo(2), "the job file and rank 0's segment");
            Assert.That(files.Select(File.GetUnixFileMode), Has.All.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

            using CommunicatorBuffer<float> buffer = communicator.AllocateBuffer<float>(3);
            buffer.Span[0] = 1234.5f;
            communicator.AllReduce(buffer, ReduceOp.Sum);

            // Read the value back through the file: the buffer is the segment's memory, not a copy of it.
            string segment = files.Single(SharedMemoryNames.IsSegment);
            long offset = RegionLayout.For(Small.StagingSlotBytes, Small.BufferHeapBytes).HeapOffset + buffer.HeapOffset;
            using var stream = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var bytes = new byte[4];
            stream.Position = offset;
            stream.ReadExactly(bytes);
            Assert.That(BitConverter.ToSingle(bytes), Is.EqualTo(1234.5f));
        }
        Assert.That(Worker.FilesOf(jobId), Is.Empty);
    }

    [Test]
    public void InvalidJobIdIsRejectedBeforeAnyFileIsMade() =>
        Assert.That(() => Communicator.CreateSharedMemory(0, 1, "a.b"), Throws.ArgumentException.With.Message.Contains("not a valid job id"));
}
