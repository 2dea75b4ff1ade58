using Kernels.Attention;
using Kernels.Tests.Support;

namespace Kernels.Tests.Attention;

/// <summary>
/// Naive attention that materialises the score matrix: in float64 (the oracle, forward and analytic backward), and in
/// the storage precision (the baseline of FlashAttention's acceptance rule).
/// </summary>
internal static class AttentionReference
{
    /// <summary>Bottom-right aligned mask, written independently of the library.</summary>
    internal static bool Visible(AttentionShape shape, AttentionOptions options, int i, int j)
    {
        int diagonal = i + shape.SeqK - shape.SeqQ;
        if (options.Causal && j > diagonal) return false;
        if (options.WindowLeft >= 0 && j < diagonal - options.WindowLeft) return false;
        if (options.WindowRight >= 0 && j > diagonal + options.WindowRight) return false;
        return true;
    }

    private static int Q(AttentionShape s, int b, int i, int h) => ((b * s.SeqQ + i) * s.Heads + h) * s.HeadDim;
    private static int K(AttentionShape s, int b, int j, int g) => ((b * s.SeqK + j) * s.KvHeads + g) * s.HeadDim;
    private static int V(AttentionShape s, int b, int j, int g) => ((b * s.SeqK + j) * s.KvHeads + g) * s.ValueHeadDim;
    private static int O(AttentionShape s, int b, int i, int h) => ((b * s.SeqQ + i) * s.Heads + h) * s.ValueHeadDim;

    /// <summary>Score of a raw dot product and its derivative d score / d dot.</summary>
    private static (double Score, double Slope) Score(double dot, double scale, double softcap)
    {
        if (softcap == 0) return (dot * scale, scale);
        double t = Math.Tanh(dot * scale / softcap);
        return (softcap * t, scale * (1 - t * t));
    }

    /// <summary>Float64 attention: O (zeros for a row that sees nothing) and lse (-inf there).</summary>
    internal static (double[] O, double[] Lse) Forward<T>(AttentionCase c, AttentionInputs<T> x) where T : unmanaged
    {
        AttentionShape s = c.Shape;
        double scale = c.Options.ScaleFor(s.HeadDim), cap = c.Options.Softcap;
        var o = new double[s.OutputLength];
        var lse = new double[s.RowCount];
        var scores = new double[s.SeqK];
        int group = s.Heads / s.KvHeads;
        for (int b = 0; b < s.Batch; b++)
        for (int h = 0; h < s.Heads; h++)
        for (int i = 0; i < s.SeqQ; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < s.SeqK; j++)
            {
                scores[j] = double.NegativeInfinity;
                if (!Visible(s, c.Options, i, j)) continue;
                double dot = 0;
                for (int e = 0; e < s.HeadDim; e++) dot += Values.ToDouble(x.Q[Q(s, b, i, h) + e]) * Values.ToDouble(x.K[K(s, b, j, h / group) + e]);
                scores[j] = Score(dot, scale, cap).Score;
                max = Math.Max(max, scores[j]);
            }
            int row = (b * s.SeqQ + i) * s.Heads + h;
            if (double.IsNegativeInfinity(max))
            {
                lse[row] = double.NegativeInfinity;
                continue;
            }
            double sum = 0;
            for (int j = 0; j < s.SeqK; j++) sum += Math.Exp(scores[j] - max);
            lse[row] = max + Math.Log(sum);
            for (int j = 0; j < s.SeqK; j++)
            {
                double p = Math.Exp(scores[j] - max) / sum;
                if (p == 0) continue;
                for (int e = 0; e < s.ValueHeadDim; e++) o[O(s, b, i, h) + e] += p * Values.ToDouble(x.V[V(s, b, j, h / group) + e]);
            }
        }
        return (o, lse);
    }

    /// <summary>
    /// Naive attention in the storage precision: dot products in fp32 rounded to T, softmax in fp32 of those scores with
    /// P rounded to T, P V accumulated in fp32 and rounded to T (for float every step is plain fp32).
    /// </summary>
    internal static double[] SamePrecisionForward<T>(AttentionCase c, AttentionInputs<T> x) where T : unmanaged
    {
        AttentionShape s = c.Shape;
        float scale = c.Options.ScaleFor(s.HeadDim), cap = c.Options.Softcap;
        var o = new double[s.OutputLength];
        var scores = new float[s.SeqK];
        var acc = new float[s.ValueHeadDim];
        int group = s.Heads / s.KvHeads;
        for (int b = 0; b < s.Batch; b++)
        for (int h = 0; h < s.Heads; h++)
        for (int i = 0; i < s.SeqQ; i++)
        {
            float max = float.NegativeInfinity;
            for (int j = 0; j < s.SeqK; j++)
            {
                scores[j] = float.NegativeInfinity;
                if (!Visible(s, c.Options, i, j)) continue;
                float dot = 0;
                for (int e = 0; e < s.HeadDim; e++) dot += (float)Values.ToDouble(x.Q[Q(s, b, i, h) + e]) * (float)Values.ToDouble(x.K[K(s, b, j, h / group) + e]);
                float score = cap == 0 ? dot * scale : cap * MathF.Tanh(dot * scale / cap);
                scores[j] = (float)Values.ToDouble(Values.Round<T>(score));
                max = MathF.Max(max, scores[j]);
            }
            if (float.IsNegativeInfinity(max)) continue;
            float sum = 0;
            for (int j = 0; j < s.SeqK; j++) sum += MathF.Exp(scores[j] - max);
            Array.Clear(acc);
            for (int j = 0; j < s.SeqK; j++)
            {
                float p = (float)Values.ToDouble(Values.Round<T>(MathF.Exp(scores[j] - max) / sum));
                for (int e = 0; e < s.ValueHeadDim; e++) acc[e] += p * (float)Values.ToDouble(x.V[V(s, b, j, h / group) + e]);
            }
            for (int e = 0; e < s.ValueHeadDim; e++) o[O(s, b, i, h) + e] = Values.ToDouble(Values.Round<T>(acc[e]));
        }
        return o;
    }

    /// <summary>Float64 analytic gradients (dQ, dK, dV) of sum(O * dO), from the float64 forward.</summary>
    internal static (double[] DQ, double[] DK, double[] DV) Backward<T>(AttentionCase c, AttentionInputs<T> x) where T : unmanaged
    {
        AttentionShape s = c.Shape;
        double scale = c.Options.ScaleFor(s.HeadDim), cap = c.Options.Softcap;
        (double[] o, double[] lse) = Forward(c, x);
        var dq = new double[s.QueryLength];
        var dk = new double[s.KeyLength];
        var dv = new double[s.ValueLength];
        int group = s.Heads / s.KvHeads;
        for (int b = 0; b < s.Batch; b++)
        for (int h = 0; h < s.Heads; h++)
        for (int i = 0; i < s.SeqQ; i++)
        {
            int row = (b * s.SeqQ + i) * s.Heads + h;
            if (double.IsNegativeInfinity(lse[row])) continue;
            int g = h / group;
            double delta = 0;
            for (int e = 0; e < s.ValueHeadDim; e++) delta += Values.ToDouble(x.DO[O(s, b, i, h) + e]) * o[O(s, b, i, h) + e];
            for (int j = 0; j < s.SeqK; j++)
            {
                if (!Visible(s, c.Options, i, j)) continue;
                double dot = 0;
                for (int e = 0; e < s.HeadDim; e++) dot += Values.ToDouble(x.Q[Q(s, b, i, h) + e]) * Values.ToDouble(x.K[K(s, b, j, g) + e]);
                (double score, double slope) = Score(dot, scale, cap);
                double p = Math.Exp(score - lse[row]);
                double dp = 0;
                for (int e = 0; e < s.ValueHeadDim; e++)
                {
                    double dOut = Values.ToDouble(x.DO[O(s, b, i, h) + e]);
                    dv[V(s, b, j, g) + e] += p * dOut;
                    dp += dOut * Values.ToDouble(x.V[V(s, b, j, g) + e]);
                }
                double dDot = p * (dp - delta) * slope;
                for (int e = 0; e < s.HeadDim; e++)
                {
                    dq[Q(s, b, i, h) + e] += dDot * Values.ToDouble(x.K[K(s, b, j, g) + e]);
                    dk[K(s, b, j, g) + e] += dDot * Values.ToDouble(x.Q[Q(s, b, i, h) + e]);
                }
            }
        }
        return (dq, dk, dv);
    }
}
