using Stage.Inference.Models.EnCodec;

namespace Stage.Inference.Generation;

/// <summary>Between the generator's codes <c>[codebook][frame]</c> and EnCodec's <see cref="CodeMatrix"/>.</summary>
public static class CodeRows
{
    public static CodeMatrix ToMatrix(int[][] rows)
    {
        int frames = rows.Length == 0 ? 0 : rows[0].Length;
        var matrix = new CodeMatrix(rows.Length, frames);
        for (int q = 0; q < rows.Length; q++) rows[q].CopyTo(matrix.Codebook(q));
        return matrix;
    }

    public static int[][] FromMatrix(CodeMatrix matrix)
    {
        var rows = new int[matrix.Codebooks][];
        for (int q = 0; q < rows.Length; q++) rows[q] = matrix.Codebook(q).ToArray();
        return rows;
    }
}
