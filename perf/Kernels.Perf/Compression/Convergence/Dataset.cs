namespace Kernels.Perf.Compression.Convergence;

/// <summary>A classification data set: <see cref="Count"/> rows of <see cref="Features"/> floats, one label each.</summary>
public sealed record Dataset(string Name, float[] X, int[] Labels, int Features, int Classes)
{
    public int Count => Labels.Length;

    public ReadOnlySpan<float> Row(int i) => X.AsSpan(i * Features, Features);

    /// <summary>A fixed shuffle, then the first (1 - <paramref name="testFraction"/>) for training and the rest for testing.</summary>
    public (Dataset Train, Dataset Test) Split(double testFraction, ulong seed)
    {
        int[] order = SeededRandom.Permutation(Count, seed);
        int train = Count - (int)(Count * testFraction);
        return (Subset(order[..train], "train"), Subset(order[train..], "test"));
    }

    public Dataset Subset(int[] rows, string part)
    {
        var x = new float[rows.Length * Features];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(x.AsSpan(i * Features));
            labels[i] = Labels[rows[i]];
        }
        return new Dataset($"{Name}/{part}", x, labels, Features, Classes);
    }

    /// <summary>
    /// The rows each of <paramref name="ranks"/> ranks trains on: iid (a shuffle dealt out evenly) or label-sorted (sorted by label,
    /// then contiguous blocks, so each rank sees only a few classes — the hard case for compression).
    /// </summary>
    public int[][] Shards(int ranks, Sharding sharding, ulong seed)
    {
        int[] order = SeededRandom.Permutation(Count, seed);
        if (sharding == Sharding.LabelSorted)
        {
            order = [.. order.OrderBy(i => Labels[i]).ThenBy(i => i)];
        }
        var shards = new int[ranks][];
        for (int r = 0; r < ranks; r++)
        {
            int start = (int)((long)Count * r / ranks), end = (int)((long)Count * (r + 1) / ranks);
            shards[r] = order[start..end];
        }
        return shards;
    }
}

/// <summary>How the training rows are dealt to the ranks.</summary>
public enum Sharding
{
    Iid,
    LabelSorted,
}
