namespace Stage.Inference.Kernels;

public static class Embedding
{
    /// <summary>y[i] = table[ids[i]] for a table of rows of <c>dim</c> floats.</summary>
    public static void Lookup(ReadOnlySpan<float> table, int dim, ReadOnlySpan<int> ids, Span<float> y)
    {
        int rows = table.Length / dim;
        if (y.Length < ids.Length * dim) throw new ArgumentException("y is shorter than ids × dim");
        for (int i = 0; i < ids.Length; i++)
        {
            int id = ids[i];
            if ((uint)id >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} outside the table's {rows} rows");
            table.Slice(id * dim, dim).CopyTo(y.Slice(i * dim, dim));
        }
    }

    /// <summary>y += table[id] (the LM sums its codebook embeddings into one vector).</summary>
    public static void AddRow(ReadOnlySpan<float> table, int dim, int id, Span<float> y)
    {
        int rows = table.Length / dim;
        if ((uint)id >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(id), $"id {id} outside the table's {rows} rows");
        System.Numerics.Tensors.TensorPrimitives.Add(y[..dim], table.Slice(id * dim, dim), y[..dim]);
    }
}
