namespace Stage.Inference.Checkpoints;

/// <summary>One tensor listed in a safetensors header: dtype name as written (F32, F16, BF16, I64, …), shape, byte range in the data section.</summary>
public sealed record TensorEntry(string Name, string DType, int[] Shape, long Begin, long End)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }

    public string ShapeText => Stage.Inference.Tensors.Tensor.ShapeText(Shape);
}
