namespace Stage.Inference.Kernels;

/// <summary>How a convolution extends its input beyond the edges.</summary>
public enum PaddingMode
{
    /// <summary>Zeros (PyTorch F.pad mode "constant").</summary>
    Zero,
    /// <summary>Mirror excluding the edge sample (F.pad mode "reflect").</summary>
    Reflect,
}
