using Kernels.Perf.Peers.OnnxRuntime;

namespace Kernels.Perf.Attention;

/// <summary>
/// A one-node ONNX model of ORT's com.microsoft MultiHeadAttention (contrib opset 1), serialised by hand like
/// <see cref="OnnxNormModels"/>: query, key and value (batch, seq, heads x dim) are graph inputs — exactly our
/// [batch, seq, heads, dim] layout — so the benchmark binds our buffers with no copy. Causal is the
/// <c>unidirectional</c> attribute; the scale is ORT's default 1/sqrt(dim), the same as ours.
/// </summary>
internal static class OnnxAttentionModel
{
    public const string Query = "query";
    public const string Key = "key";
    public const string Value = "value";
    public const string Output = "output";

    private const long IrVersion = 8;
    private const string MicrosoftDomain = "com.microsoft";

    // onnx.proto field numbers, only those written here.
    private static class ModelField { public const int IrVersion = 1, ProducerName = 2, Graph = 7, OpsetImport = 8; }
    private static class OpsetField { public const int Domain = 1, Version = 2; }
    private static class GraphField { public const int Node = 1, Name = 2, Input = 11, Output = 12; }
    private static class NodeField { public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5, Domain = 7; }
    private static class AttributeField { public const int Name = 1, I = 3, Type = 20; }
    private static class AttributeType { public const int Int = 2; }
    private static class ValueInfoField { public const int Name = 1, Type = 2; }
    private static class TypeField { public const int TensorType = 1; }
    private static class TensorTypeField { public const int ElemType = 1, Shape = 2; }
    private static class ShapeField { public const int Dim = 1; }
    private static class DimensionField { public const int DimValue = 1; }

    public static byte[] MultiHeadAttention(int elementType, int seq, int heads, int headDim, bool causal)
    {
        long hidden = (long)heads * headDim;
        return new ProtoWriter()
            .Varint(ModelField.IrVersion, IrVersion)
            .String(ModelField.ProducerName, "kernels-perf")
            .Message(ModelField.OpsetImport, o => o.String(OpsetField.Domain, "").Varint(OpsetField.Version, 17))
            .Message(ModelField.OpsetImport, o => o.String(OpsetField.Domain, MicrosoftDomain).Varint(OpsetField.Version, 1))
            .Message(ModelField.Graph, graph =>
            {
                graph.Message(GraphField.Node, node => node
                        .String(NodeField.Input, Query).String(NodeField.Input, Key).String(NodeField.Input, Value)
                        .String(NodeField.Output, Output)
                        .String(NodeField.Name, "mha").String(NodeField.OpType, "MultiHeadAttention")
                        .String(NodeField.Domain, MicrosoftDomain)
                        .Message(NodeField.Attribute, a => IntAttribute(a, "num_heads", heads))
                        .Message(NodeField.Attribute, a => IntAttribute(a, "unidirectional", causal ? 1 : 0)))
                    .String(GraphField.Name, "attention");
                foreach (string input in new[] { Query, Key, Value })
                {
                    graph.Message(GraphField.Input, v => ValueInfo(v, input, elementType, seq, hidden));
                }
                graph.Message(GraphField.Output, v => ValueInfo(v, Output, elementType, seq, hidden));
            })
            .ToArray();
    }

    /// <summary>A (1, seq, hidden) tensor.</summary>
    private static void ValueInfo(ProtoWriter value, string name, int elementType, long seq, long hidden) =>
        value.String(ValueInfoField.Name, name)
            .Message(ValueInfoField.Type, type => type.Message(TypeField.TensorType, tensor => tensor
                .Varint(TensorTypeField.ElemType, elementType)
                .Message(TensorTypeField.Shape, shape => shape
                    .Message(ShapeField.Dim, d => d.Varint(DimensionField.DimValue, 1))
                    .Message(ShapeField.Dim, d => d.Varint(DimensionField.DimValue, seq))
                    .Message(ShapeField.Dim, d => d.Varint(DimensionField.DimValue, hidden)))));

    private static void IntAttribute(ProtoWriter attribute, string name, long value) =>
        attribute.String(AttributeField.Name, name).Varint(AttributeField.I, value).Varint(AttributeField.Type, AttributeType.Int);
}
