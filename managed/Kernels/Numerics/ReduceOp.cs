namespace Kernels;

/// <summary>The reduction applied element by element.</summary>
public enum ReduceOp
{
    /// <summary>Sum, computed in fp32.</summary>
    Sum,
    /// <summary>Sum divided by the number of contributions (collectives only; kernels take Sum and a scale).</summary>
    Avg,
    /// <summary>Maximum; NaN in any operand gives NaN.</summary>
    Max,
    /// <summary>Minimum; NaN in any operand gives NaN.</summary>
    Min,
}
