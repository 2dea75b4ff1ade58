using System.Runtime.InteropServices;
using Kernels.Collectives;

namespace Kernels.Compression;

/// <summary>
/// 1-bit through the two-phase protocol of 1-bit Adam (Tang et al. 2021): every rank compresses its whole gradient with the
/// worker error, sends rank q the signs and scales of q's part (<see cref="AlignedShards"/>) in an all-to-all, averages the parts
/// it received (decompressed, summed in fp32 in rank order, times 1/n), compresses that average with its server error, and an
/// all-gather of the server messages gives every rank the whole average, decompressed.
/// </summary>
internal sealed class OneBitTwoPhaseProtocol : IAllReduceProtocol
{
    private readonly OneBit _compressor;
    private readonly ErrorFeedbackCompressor<SignMessage> _worker;
    private readonly ErrorFeedbackCompressor<SignMessage> _server;

    internal OneBitTwoPhaseProtocol(OneBit compressor, ErrorFeedback workerFeedback, ErrorFeedback serverFeedback)
    {
        _compressor = compressor;
        _worker = new ErrorFeedbackCompressor<SignMessage>(compressor, workerFeedback);
        _server = new ErrorFeedbackCompressor<SignMessage>(new OneBit(compressor.ChunkSize, compressor.Scale), serverFeedback);
    }

    public string Kind => "OneBitTwoPhase";

    public void CheckStep(ReadOnlySpan<float> gradient, MatrixShape shape) => shape.Validate(gradient.Length, nameof(gradient), nameof(shape));

    public CompressionReport Run(Communicator communicator, ReadOnlySpan<float> gradient, Span<float> average, MatrixShape shape,
        CancellationToken cancellationToken)
    {
        int size = communicator.Size, rank = communicator.Rank;
        var shards = new AlignedShards(gradient.Length, size, _compressor.ChunkSize);

        // Phase 1: worker compression, then every rank gets its part of every rank's message.
        SignMessage message = _worker.Compress(gradient, shape);
        var packets = new uint[size][];
        long sent = 0;
        for (int q = 0; q < size; q++)
        {
            packets[q] = Packet(message, shards, q);
            sent += q == rank ? 0 : packets[q].Length * (long)sizeof(uint);
        }
        uint[][] parts = ChunkExchange.AllToAll(communicator, packets, shards.PacketLength(rank), cancellationToken);

        // Server: average this rank's part and compress the average with the server error.
        (_, int length) = shards.Of(rank);
        uint[] serverPacket = [];
        if (length > 0)
        {
            float[] sum = AveragePart(parts, length, size);
            serverPacket = Packet(_server.Compress(sum, MatrixShape.Vector(length)), new AlignedShards(length, 1, _compressor.ChunkSize), 0);
        }

        // Phase 2: all-gather of the server messages.
        var counts = new int[size];
        for (int q = 0; q < size; q++) counts[q] = shards.PacketLength(q);
        var gathered = new uint[counts.Sum()];
        communicator.AllGatherV<uint>(serverPacket, gathered, counts, cancellationToken);
        sent += TrafficModel.AllGather(serverPacket.Length * (long)sizeof(uint), size);

        int start = 0;
        for (int q = 0; q < size; q++)
        {
            (int partOffset, int partLength) = shards.Of(q);
            if (partLength > 0)
            {
                _compressor.Decompress(Unpack(gathered.AsSpan(start, counts[q]), partLength), average.Slice(partOffset, partLength));
            }
            start += counts[q];
        }
        _worker.Reconstruct(average);
        return new CompressionReport(sent, TrafficModel.Dense(gradient.Length, size));
    }

    /// <summary>Sum of the decompressed parts in rank order (the first one as it is), times 1/n.</summary>
    private float[] AveragePart(uint[][] parts, int length, int size)
    {
        var sum = new float[length];
        var decompressed = new float[length];
        for (int p = 0; p < size; p++)
        {
            _compressor.Decompress(Unpack(parts[p], length), p == 0 ? sum : decompressed);
            if (p > 0)
            {
                for (int i = 0; i < length; i++) sum[i] += decompressed[i];
            }
        }
        float scale = 1f / size;
        for (int i = 0; i < length; i++) sum[i] *= scale;
        return sum;
    }

    /// <summary>Rank <paramref name="rank"/>'s slice of a message: its sign words, then its scales' bits.</summary>
    private static uint[] Packet(SignMessage message, AlignedShards shards, int rank)
    {
        (int firstWord, int words, int firstScale, int scales) = shards.MessageRangeOf(rank);
        var packet = new uint[words + scales];
        message.Signs.Slice(firstWord, words).CopyTo(packet);
        MemoryMarshal.Cast<float, uint>(message.Scales.Slice(firstScale, scales)).CopyTo(packet.AsSpan(words));
        return packet;
    }

    /// <summary>The message a packet of <paramref name="length"/> elements stands for.</summary>
    private SignMessage Unpack(ReadOnlySpan<uint> packet, int length)
    {
        int words = (length + 31) / 32;
        return new SignMessage(MatrixShape.Vector(length), _compressor.ChunkSize, packet[..words].ToArray(),
            MemoryMarshal.Cast<uint, float>(packet[words..]).ToArray());
    }

    public void SaveState(BinaryWriter writer)
    {
        _worker.WriteState(writer);
        _server.WriteState(writer);
    }

    public Action ReadState(BinaryReader reader)
    {
        Action installWorker = _worker.ReadState(reader);
        Action installServer = _server.ReadState(reader);
        return () =>
        {
            installWorker();
            installServer();
        };
    }
}
