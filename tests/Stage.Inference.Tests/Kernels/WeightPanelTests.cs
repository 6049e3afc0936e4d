using Stage.Inference.Kernels;

namespace Stage.Inference.Tests.Kernels;

/// <summary>The packed panel is the weights transposed, each converted as a scalar would be, for every stored precision.</summary>
public unsafe class WeightPanelTests
{
    const int Width = WeightPanel.Width;

    [Theory]
    [InlineData(32, 64)]     // the vector path: whole panels, k a multiple of 8
    [InlineData(32, 1024)]
    [InlineData(32, 12)]     // k not a multiple of 8
    [InlineData(5, 64)]      // the last, partial chunk
    public void PanelsHoldTheWeightsTransposed(int rows, int k)
    {
        var random = new Random(rows * 1000 + k);
        var f32 = new float[rows * k];
        var bf16 = new ushort[rows * k];
        var int8 = new sbyte[rows * k];
        var scales = new float[Width];
        for (int i = 0; i < f32.Length; i++)
        {
            f32[i] = (float)(random.NextDouble() * 2 - 1) * 3;
            bf16[i] = (ushort)random.Next(65536);
            int8[i] = (sbyte)random.Next(-127, 128);
        }
        for (int j = 0; j < Width; j++) scales[j] = (float)random.NextDouble() / 100;

        var panel = new float[k * Width];
        fixed (float* p = panel)
        {
            panel.AsSpan().Fill(float.NaN);   // padding must be written, not left
            fixed (float* w = f32) WeightPanel.Pack(w, rows, k, p);
            Check(j => i => f32[j * k + i]);

            panel.AsSpan().Fill(float.NaN);
            fixed (ushort* w = bf16) WeightPanel.Pack(w, rows, k, p);
            Check(j => i => BitConverter.Int32BitsToSingle(bf16[j * k + i] << 16));

            panel.AsSpan().Fill(float.NaN);
            fixed (sbyte* w = int8)
            fixed (float* s = scales) WeightPanel.Pack(w, s, rows, k, p);
            Check(j => i => int8[j * k + i] * scales[j]);
        }

        void Check(Func<int, Func<int, float>> weight)
        {
            for (int i = 0; i < k; i++)
                for (int j = 0; j < Width; j++)
                {
                    float expected = j < rows ? weight(j)(i) : 0f;
                    float actual = panel[i * Width + j];
                    // bit patterns, so NaN payloads of random bf16 words compare too
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual) || (float.IsNaN(expected) && float.IsNaN(actual)),
                        $"line {i}, row {j}: {actual} instead of {expected}");
                }
        }
    }
}
