namespace Kernels.Perf.Peers.OnnxRuntime;

/// <summary>
/// One-node ONNX models for ORT's RMSNorm kernels, serialised by hand (field numbers from onnx.proto).
/// Every tensor, gamma included, is a graph input so the benchmark binds our buffers with no copy;
/// the row count is symbolic so one session serves every size.
/// - SimplifiedLayerNormalization: ORT registers it in the ONNX domain, since version 1 (a contrib op
///   that predates RMSNormalization-23); inputs X, scale; axis -1.
/// - SkipSimplifiedLayerNormalization (com.microsoft, 1): inputs input, skip, gamma; outputs output and,
///   as output 3, input_skip_bias_sum — the residual our AddRmsNorm writes back.
/// </summary>
internal static class OnnxNormModels
{
    public const string Input = "x";
    public const string Skip = "skip";
    public const string Gamma = "gamma";
    public const string Output = "y";
    public const string Sum = "sum";

    /// <summary>TensorProto.DataType values.</summary>
    public const int Float = 1;
    public const int BFloat16 = 16;

    private const long IrVersion = 8;   // the IR of ONNX 1.12 / opset 17
    private const long OnnxOpset = 17;
    private const string MicrosoftDomain = "com.microsoft";

    // onnx.proto field numbers, only those written here.
    private static class ModelField { public const int IrVersion = 1, ProducerName = 2, Graph = 7, OpsetImport = 8; }
    private static class OpsetField { public const int Domain = 1, Version = 2; }
    private static class GraphField { public const int Node = 1, Name = 2, Input = 11, Output = 12; }
    private static class NodeField { public const int Input = 1, Output = 2, Name = 3, OpType = 4, Attribute = 5, Domain = 7; }
    private static class AttributeField { public const int Name = 1, F = 2, I = 3, Type = 20; }
    private static class AttributeType { public const int Float = 1, Int = 2; }
    private static class ValueInfoField { public const int Name = 1, Type = 2; }
    private static class TypeField { public const int TensorType = 1; }
    private static class TensorTypeField { public const int ElemType = 1, Shape = 2; }
    private static class ShapeField { public const int Dim = 1; }
    private static class DimensionField { public const int DimValue = 1, DimParam = 2; }

    public static byte[] SimplifiedLayerNormalization(int elementType, long cols, float eps) =>
        Model(elementType, cols,
            node => node
                .String(NodeField.Input, Input).String(NodeField.Input, Gamma)
                .String(NodeField.Output, Output)
                .String(NodeField.Name, "rmsnorm").String(NodeField.OpType, "SimplifiedLayerNormalization")
                .Message(NodeField.Attribute, a => IntAttribute(a, "axis", -1))
                .Message(NodeField.Attribute, a => FloatAttribute(a, "epsilon", eps)),
            inputs: [Input, Gamma], outputs: [Output]);

    public static byte[] SkipSimplifiedLayerNormalization(int elementType, long cols, float eps) =>
        Model(elementType, cols,
            node => node
                .String(NodeField.Input, Input).String(NodeField.Input, Skip).String(NodeField.Input, Gamma)
                // Outputs: output, mean (unused), inv_std_var (unused), input_skip_bias_sum.
                .String(NodeField.Output, Output).String(NodeField.Output, "").String(NodeField.Output, "")
                .String(NodeField.Output, Sum)
                .String(NodeField.Name, "add_rmsnorm").String(NodeField.OpType, "SkipSimplifiedLayerNormalization")
                .String(NodeField.Domain, MicrosoftDomain)
                .Message(NodeField.Attribute, a => FloatAttribute(a, "epsilon", eps)),
            inputs: [Input, Skip, Gamma], outputs: [Output, Sum]);

    private static byte[] Model(int elementType, long cols, Action<ProtoWriter> node, string[] inputs, string[] outputs)
    {
        var model = new ProtoWriter()
            .Varint(ModelField.IrVersion, IrVersion)
            .String(ModelField.ProducerName, "kernels-perf")
            .Message(ModelField.OpsetImport, o => o.String(OpsetField.Domain, "").Varint(OpsetField.Version, OnnxOpset))
            .Message(ModelField.OpsetImport, o => o.String(OpsetField.Domain, MicrosoftDomain).Varint(OpsetField.Version, 1))
            .Message(ModelField.Graph, graph =>
            {
                graph.Message(GraphField.Node, node).String(GraphField.Name, "norm");
                foreach (string input in inputs)
                {
                    graph.Message(GraphField.Input, v => ValueInfo(v, input, elementType, cols, rowsDim: input != Gamma));
                }
                foreach (string output in outputs)
                {
                    graph.Message(GraphField.Output, v => ValueInfo(v, output, elementType, cols, rowsDim: true));
                }
            });
        return model.ToArray();
    }

    /// <summary>A tensor of (rows, cols) with symbolic rows, or (cols) for gamma.</summary>
    private static void ValueInfo(ProtoWriter value, string name, int elementType, long cols, bool rowsDim) =>
        value.String(ValueInfoField.Name, name)
            .Message(ValueInfoField.Type, type => type.Message(TypeField.TensorType, tensor => tensor
                .Varint(TensorTypeField.ElemType, elementType)
                .Message(TensorTypeField.Shape, shape =>
                {
                    if (rowsDim)
                    {
                        shape.Message(ShapeField.Dim, d => d.String(DimensionField.DimParam, "rows"));
                    }
                    shape.Message(ShapeField.Dim, d => d.Varint(DimensionField.DimValue, cols));
                })));

    private static void IntAttribute(ProtoWriter attribute, string name, long value) =>
        attribute.String(AttributeField.Name, name).Varint(AttributeField.I, value).Varint(AttributeField.Type, AttributeType.Int);

    private static void FloatAttribute(ProtoWriter attribute, string name, float value) =>
        attribute.String(AttributeField.Name, name).Float(AttributeField.F, value).Varint(AttributeField.Type, AttributeType.Float);
}
