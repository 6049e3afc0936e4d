using System.Text;

namespace Stage.Engine.Jobs;

/// <summary>The generated codes as one JSON line: <c>{"frames": F, "codebooks": 4, "codes": [[…] ×4]}</c>.</summary>
public static class CodesJson
{
    public static string Line(int[][] codes)
    {
        int frames = codes.Length == 0 ? 0 : codes[0].Length;
        var sb = new StringBuilder(32 + codes.Length * frames * 6);
        sb.Append("{\"frames\": ").Append(frames).Append(", \"codebooks\": ").Append(codes.Length).Append(", \"codes\": [");
        for (int q = 0; q < codes.Length; q++)
        {
            if (q > 0) sb.Append(", ");
            sb.Append('[');
            for (int t = 0; t < codes[q].Length; t++)
            {
                if (t > 0) sb.Append(", ");
                sb.Append(codes[q][t]);
            }
            sb.Append(']');
        }
        return sb.Append("]}").ToString();
    }
}
