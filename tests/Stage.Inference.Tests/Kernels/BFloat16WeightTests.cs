using Stage.Inference.Kernels;

namespace Stage.Inference.Tests.Kernels;

public unsafe class BFloat16WeightTests
{
    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)]      // 1 + 2^-8: a tie, to even (down)
    [InlineData(1.01171875f, 0x3F82)]      // 1 + 3·2^-8: a tie, to even (up)
    [InlineData(1.0078125f, 0x3F81)]       // 1 + 2^-7: exact
    [InlineData(-2.5f, 0xC020)]
    [InlineData(0f, 0x0000)]
    public void Rounding_is_to_nearest_even(float value, int expected) =>
        Assert.Equal((ushort)expected, RowWeights.RoundToBFloat16(value));

    [Fact]
    public void A_span_rounds_as_each_value_does_NaNs_and_infinities_included()
    {
        // the vector body takes 16 at a time, the tail the rest; a KV cache stores activations, which may be NaN
        var random = new Random(4);
        var values = Enumerable.Range(0, 16 * 40 + 7).Select(_ => BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32))).ToArray();
        values[3] = float.NaN;
        values[17] = float.PositiveInfinity;
        values[18] = float.NegativeInfinity;
        values[19] = BitConverter.UInt32BitsToSingle(0x7F80_0001);   // a signalling NaN whose top half alone is an infinity
        values[20] = float.MaxValue;                                   // rounds up to infinity
        var rounded = new ushort[values.Length];
        fixed (float* source = values)
        fixed (ushort* target = rounded)
            RowWeights.RoundToBFloat16(source, target, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.Equal(RowWeights.RoundToBFloat16(values[i]), rounded[i]);
        Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)rounded[19] << 16)));
    }

    [Fact]
    public void A_bfloat16_linear_equals_the_float32_linear_on_the_rounded_weights_bit_for_bit()
    {
        var random = new Random(3);
        foreach (var (rows, inDim, outDim) in new[] { (1, 64, 37), (2, 1024, 96), (5, 72, 130), (9, 256, 64) })
        {
            var weights = new PinnedFloats((long)outDim * inDim);
            for (int i = 0; i < weights.Length; i++) weights.Span[i] = (float)(random.NextDouble() * 2 - 1);
            var bf16 = new RowWeights(weights, outDim, inDim).ToBFloat16();
            var rounded = new PinnedFloats(weights.Length);
            bf16.CopyTo(rounded.Span);
            for (int i = 0; i < weights.Length; i++)
                Assert.Equal(BitConverter.UInt32BitsToSingle((uint)RowWeights.RoundToBFloat16(weights.Span[i]) << 16), rounded.Span[i]);

            var x = new PinnedFloats((long)rows * inDim);
            for (int i = 0; i < x.Length; i++) x.Span[i] = (float)(random.NextDouble() * 2 - 1);
            foreach (var mode in new[] { LinearOutput.Store, LinearOutput.Accumulate, LinearOutput.Gelu })
            {
                var expected = new PinnedFloats((long)rows * outDim);
                var actual = new PinnedFloats((long)rows * outDim);
                expected.Span.Fill(0.5f);
                actual.Span.Fill(0.5f);
                var linear = new RowsLinear(new WorkerPool(2));
                linear.Run(x.Pointer, inDim, rows, new RowWeights(rounded, outDim, inDim), expected.Pointer, outDim, mode);
                linear.Run(x.Pointer, inDim, rows, bf16, actual.Pointer, outDim, mode);
                for (int i = 0; i < expected.Length; i++)
                    Assert.True(expected.Array[i] == actual.Array[i], $"rows {rows}, in {inDim}, out {outDim}, {mode}: output {i} is {actual.Array[i]}, expected {expected.Array[i]}");
            }
        }
    }
}
