using System.Buffers.Binary;
using System.Text;

namespace Kernels.Perf.Peers.OnnxRuntime;

/// <summary>
/// The few protobuf wire-format writes an ONNX model needs (varint, 32-bit float, length-delimited
/// string and sub-message). The ORT NuGet package has no model builder and this suite needs only two
/// one-node graphs, so a full protobuf dependency would be more than the job.
/// </summary>
internal sealed class ProtoWriter
{
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const int WireFixed32 = 5;

    private readonly MemoryStream _bytes = new();

    public ProtoWriter Varint(int field, long value)
    {
        Tag(field, WireVarint);
        RawVarint((ulong)value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        Tag(field, WireFixed32);
        Span<byte> le = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(le, value);
        _bytes.Write(le);
        return this;
    }

    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Message(int field, Action<ProtoWriter> writeBody)
    {
        var body = new ProtoWriter();
        writeBody(body);
        return Bytes(field, body.ToArray());
    }

    public byte[] ToArray() => _bytes.ToArray();

    private ProtoWriter Bytes(int field, byte[] value)
    {
        Tag(field, WireLengthDelimited);
        RawVarint((ulong)value.Length);
        _bytes.Write(value);
        return this;
    }

    private void Tag(int field, int wireType) => RawVarint((ulong)((field << 3) | wireType));

    private void RawVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}
