namespace Kernels.Attention;

/// <summary>
/// How scores are formed and masked. Scores are <c>s = scale * q.k</c>, or with a softcap
/// <c>s = softcap * tanh(scale * q.k / softcap)</c>; the output is softmax(s) V over the visible keys.
/// </summary>
/// <remarks>
/// Masks are aligned bottom-right, as in FlashAttention 2.1 and later: with <c>diag = i + seqK - seqQ</c>, query i sees
/// key j when <c>j &lt;= diag</c> (causal), <c>j &gt;= diag - WindowLeft</c> (when WindowLeft &gt;= 0) and
/// <c>j &lt;= diag + WindowRight</c> (when WindowRight &gt;= 0). When seqQ &gt; seqK under a causal mask the first
/// seqQ - seqK query rows see no key. A query row that sees no key gets an output of zeros and a log-sum-exp of -infinity.
/// </remarks>
public sealed record AttentionOptions
{
    /// <summary>Default options: no mask, scale 1/sqrt(HeadDim), no softcap.</summary>
    public static AttentionOptions Default { get; } = new();

    /// <summary>Causal options with the default scale.</summary>
    public static AttentionOptions CausalMask { get; } = new() { Causal = true };

    /// <summary>Keys after a query's diagonal are hidden (bottom-right aligned).</summary>
    public bool Causal { get; init; }

    /// <summary>Score scale; null means 1/sqrt(HeadDim). Must be finite.</summary>
    public float? Scale { get; init; }

    /// <summary>Keys more than this many before the diagonal are hidden; -1 (default) = unlimited.</summary>
    public int WindowLeft { get; init; } = -1;

    /// <summary>Keys more than this many after the diagonal are hidden; -1 (default) = unlimited.</summary>
    public int WindowRight { get; init; } = -1;

    /// <summary>Logit softcap (Gemma 2, Grok): 0 (default) = none; otherwise finite and positive.</summary>
    public float Softcap { get; init; }

    /// <summary>The scale in effect for <paramref name="headDim"/>.</summary>
    public float ScaleFor(int headDim) => Scale ?? 1f / MathF.Sqrt(headDim);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> (parameter <paramref name="name"/>) naming the bad option.</summary>
    internal void Validate(string name)
    {
        if (Scale is float scale && !float.IsFinite(scale))
        {
            throw new ArgumentOutOfRangeException(name, $"Scale = {scale} must be finite.");
        }
        if (WindowLeft < -1 || WindowRight < -1)
        {
            throw new ArgumentOutOfRangeException(name, $"WindowLeft = {WindowLeft} and WindowRight = {WindowRight} must be >= -1 (-1 = unlimited).");
        }
        if (!float.IsFinite(Softcap) || Softcap < 0)
        {
            throw new ArgumentOutOfRangeException(name, $"Softcap = {Softcap} must be finite and >= 0 (0 = none).");
        }
    }
}
