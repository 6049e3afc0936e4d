using System.Runtime.InteropServices;
using Stage.Inference.Kernels;
using Stage.Inference.Models.Lm;

namespace Stage.Inference.Tests.Kernels;

/// <summary>The decode-path kernels the LM uses: batched-rows linear, cached attention, vectorised GELU.</summary>
public unsafe class LmKernelTests
{
    static PinnedFloats Random(int n, int seed)
    {
        var r = new Random(seed);
        var a = new PinnedFloats(n);
        for (int i = 0; i < n; i++) a.Span[i] = (float)(r.NextDouble() * 2 - 1);
        return a;
    }

    [Theory]
    [InlineData(1, 64, 40)]
    [InlineData(2, 1024, 100)]
    [InlineData(3, 72, 37)]     // odd rows, inputs not a multiple of the vector width, outputs not of 4
    [InlineData(7, 16, 5)]
    [InlineData(64, 256, 96)]   // a prefill chunk
    public void RowsLinearMatchesDoublePrecision(int rows, int inputs, int outputs)
    {
        int xStride = inputs + 3, yStride = outputs + 5; // strided rows
        var x = Random(rows * xStride, 1);
        var w = Random(outputs * inputs, 2);
        var initial = Random(rows * yStride, 3);
        using var pool = new WorkerPool(2);
        var linear = new RowsLinear(pool);
        foreach (var mode in new[] { LinearOutput.Store, LinearOutput.Accumulate, LinearOutput.Gelu })
        {
            var y = new PinnedFloats(rows * yStride);
            initial.Span.CopyTo(y.Span);
            linear.Run(x.Pointer, xStride, rows, w.Pointer, inputs, outputs, y.Pointer, yStride, mode);
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < yStride; o++)
                {
                    float got = y.Span[r * yStride + o];
                    if (o >= outputs) { Assert.Equal(initial.Span[r * yStride + o], got); continue; } // padding untouched
                    double s = 0;
                    for (int i = 0; i < inputs; i++) s += (double)x.Span[r * xStride + i] * w.Span[o * inputs + i];
                    double expected = mode switch
                    {
                        LinearOutput.Accumulate => initial.Span[r * yStride + o] + s,
                        LinearOutput.Gelu => 0.5 * s * (1 + Erf.Of(s / Math.Sqrt(2))),
                        _ => s,
                    };
                    Assert.True(Math.Abs(got - expected) < 2e-5 * Math.Sqrt(inputs), $"{mode} row {r} out {o}: {got} vs {expected}");
                }
        }
    }

    [Fact]
    public void GeluIsExactToFloatPrecision()
    {
        var x = new float[2001];
        for (int i = 0; i < x.Length; i++) x[i] = -10f + i * 0.01f;
        var y = (float[])x.Clone();
        Gelu.Apply(y);
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i], expected = 0.5 * v * (1 + Erf.Of(v / Math.Sqrt(2)));
            Assert.True(Math.Abs(y[i] - expected) < 5e-7 * Math.Max(1, Math.Abs(v)), $"GELU({v}) = {y[i]}, expected {expected}");
        }
    }

    [Theory]
    [InlineData(8, 24, 5)]
    [InlineData(64, 80, 37)]   // STAGE's head dimension (vectorised path)
    [InlineData(64, 64, 501)]  // a head-major KV cache: one head's steps back to back
    public void CachedAttentionIsSoftmaxWeightedValuesOverThePassedSteps(int d, int stride, int length)
    {
        var q = Random(d, 1).Array;
        var k = Random(stride * (length + 2), 2).Array;
        var v = Random(stride * (length + 2), 3).Array;
        var output = new float[d];
        CachedCausalAttention.Attend(q, k.AsSpan(4), v.AsSpan(4), stride, length, 0.125f, new float[length + 2], output);
        var scores = new double[length];
        for (int t = 0; t < length; t++)
        {
            double s = 0;
            for (int i = 0; i < d; i++) s += (double)q[i] * k[4 + t * stride + i];
            scores[t] = Math.Exp(s * 0.125);
        }
        double total = scores.Sum();
        for (int i = 0; i < d; i++)
        {
            double expected = 0;
            for (int t = 0; t < length; t++) expected += scores[t] / total * v[4 + t * stride + i];
            Assert.Equal(expected, output[i], 1e-6);
        }
    }

    [Theory]
    [InlineData(64, 301)]   // the AVX2 path
    [InlineData(8, 5)]      // the plain loop
    public void CachedAttentionOverBFloat16IsTheFloat32AttentionOverTheWidenedValues(int d, int length)
    {
        var q = Random(d, 1).Array;
        var keys = Random(d * length, 2).Array;
        var values = Random(d * length, 3).Array;
        var k16 = new ushort[keys.Length];
        var v16 = new ushort[values.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            k16[i] = RowWeights.RoundToBFloat16(keys[i]);
            keys[i] = BitConverter.Int32BitsToSingle(k16[i] << 16);
            v16[i] = RowWeights.RoundToBFloat16(values[i]);
            values[i] = BitConverter.Int32BitsToSingle(v16[i] << 16);
        }
        var expected = new float[d];
        var actual = new float[d];
        CachedCausalAttention.Attend(q, keys, values, d, length, 0.125f, new float[length], expected);
        CachedCausalAttention.Attend(q, k16, v16, length, 0.125f, new float[length], actual);
        for (int i = 0; i < d; i++) Assert.Equal(expected[i], actual[i], 1e-6);
    }

    [Theory]
    [InlineData(64, 301, 2e-4)]   // the AVX2 path: the query rounded to int16
    [InlineData(8, 5, 1e-6)]      // the plain loop
    public void CachedAttentionOverInt8IsTheFloat32AttentionOverTheScaledValues(int d, int length, double tolerance)
    {
        var q = Random(d, 1).Array;
        var keys = Random(d * length, 2).Array;
        var values = Random(d * length, 3).Array;
        var k8 = new sbyte[keys.Length];
        var v8 = new sbyte[values.Length];
        var keyScales = new float[length];
        var valueScales = new float[length];
        for (int t = 0; t < length; t++)
        {
            // steps of different loudness, so a scale applied to the wrong step shows
            for (int i = 0; i < d; i++) { keys[t * d + i] *= 1 + t % 7; values[t * d + i] *= 1 + t % 5; }
            fixed (sbyte* k = &k8[t * d]) keyScales[t] = LmStream.Quantize(keys.AsSpan(t * d, d), k);
            fixed (sbyte* v = &v8[t * d]) valueScales[t] = LmStream.Quantize(values.AsSpan(t * d, d), v);
            for (int i = 0; i < d; i++)
            {
                keys[t * d + i] = k8[t * d + i] * keyScales[t];
                values[t * d + i] = v8[t * d + i] * valueScales[t];
            }
        }
        var expected = new float[d];
        var actual = new float[d];
        CachedCausalAttention.Attend(q, keys, values, d, length, 0.125f, new float[length], expected);
        CachedCausalAttention.Attend(q, k8, keyScales, v8, valueScales, length, 0.125f, new float[length], actual);
        for (int i = 0; i < d; i++) Assert.Equal(expected[i], actual[i], tolerance);
    }

    [Theory]
    [InlineData(0, 70, 3, 64)]     // a first prefill: every row sees the rows before it, two blocks of rows
    [InlineData(37, 25, 2, 64)]    // a prefill after cached steps: the first row already sees 38
    [InlineData(5, 1, 1, 40)]      // one row, a head narrower than a panel
    public void ManyRowsAtOnceEqualTheCachedAttentionRowByRow(int firstSlot, int rows, int heads, int headDim)
    {
        var random = new Random(firstSlot + rows);
        int capacity = firstSlot + rows + 3, width = heads * headDim, ldq = 3 * width;
        float Next() => (float)(random.NextDouble() * 2 - 1);
        var keys = Enumerable.Range(0, heads * capacity * headDim).Select(_ => RowWeights.RoundToBFloat16(Next())).ToArray();
        var values = Enumerable.Range(0, heads * capacity * headDim).Select(_ => RowWeights.RoundToBFloat16(Next())).ToArray();
        var q = Enumerable.Range(0, rows * ldq).Select(_ => Next()).ToArray();
        var expected = new float[rows * width];
        var output = Enumerable.Repeat(float.NaN, rows * width).ToArray();   // every output is written, none added to
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads; h++)
            {
                int seen = firstSlot + r + 1;
                CachedCausalAttention.Attend(q.AsSpan(r * ldq + h * headDim, headDim), keys.AsSpan(h * capacity * headDim, seen * headDim),
                    values.AsSpan(h * capacity * headDim, seen * headDim), seen, 0.125f, new float[seen], expected.AsSpan(r * width + h * headDim, headDim));
            }
        using var pool = new WorkerPool(2);
        fixed (float* qp = q, op = output)
        fixed (ushort* kp = keys, vp = values)
            new CausalAttentionRows(pool).Attend(qp, ldq, rows, firstSlot, kp, vp, (long)capacity * headDim, heads, headDim, 0.125f, op, width);
        double worst = 0;
        for (int i = 0; i < output.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - output[i]));
        Assert.True(worst < 1e-5, $"rows at once differ from row by row by {worst:E2}");
    }

    [Theory]
    [InlineData(0, 70, 3)]
    [InlineData(37, 25, 2)]
    public void ManyRowsAtOnceOverAnInt8CacheAreTheFloat32AttentionOverTheScaledValues(int firstSlot, int rows, int heads)
    {
        const int HeadDim = 64;
        var random = new Random(firstSlot + rows);
        int capacity = firstSlot + rows + 3, width = heads * HeadDim, ldq = 3 * width;
        var keys = new sbyte[heads * capacity * HeadDim];
        var values = new sbyte[keys.Length];
        random.NextBytes(MemoryMarshal.AsBytes(keys.AsSpan()));
        random.NextBytes(MemoryMarshal.AsBytes(values.AsSpan()));
        // slots of different loudness, so a scale applied to the wrong slot or head shows
        var keyScales = Enumerable.Range(0, heads * capacity).Select(i => (1 + i % 7) / 800f).ToArray();
        var valueScales = Enumerable.Range(0, heads * capacity).Select(i => (1 + i % 5) / 100f).ToArray();
        var wideKeys = keys.Select((k, i) => k * keyScales[i / HeadDim]).ToArray();
        var wideValues = values.Select((v, i) => v * valueScales[i / HeadDim]).ToArray();
        var q = Enumerable.Range(0, rows * ldq).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var expected = new float[rows * width];
        for (int r = 0; r < rows; r++)
            for (int h = 0; h < heads; h++)
            {
                int seen = firstSlot + r + 1;
                CachedCausalAttention.Attend(q.AsSpan(r * ldq + h * HeadDim, HeadDim), wideKeys.AsSpan(h * capacity * HeadDim, seen * HeadDim),
                    wideValues.AsSpan(h * capacity * HeadDim, seen * HeadDim), HeadDim, seen, 0.125f, new float[seen],
                    expected.AsSpan(r * width + h * HeadDim, HeadDim));
            }
        var output = Enumerable.Repeat(float.NaN, rows * width).ToArray();
        using var pool = new WorkerPool(2);
        fixed (float* qp = q, op = output, ks = keyScales, vs = valueScales)
        fixed (sbyte* kp = keys, vp = values)
            new CausalAttentionRows(pool).Attend(qp, ldq, rows, firstSlot, kp, ks, vp, vs, (long)capacity * HeadDim, capacity, heads, HeadDim, 0.125f, op, width);
        double worst = 0;
        for (int i = 0; i < output.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - output[i]));
        Assert.True(worst < 1e-5, $"rows at once differ from the float32 attention by {worst:E2}");
    }

    [Fact]
    public void Int8CacheRowsRoundToTheirLargestMagnitude()
    {
        var x = Random(64, 4).Array;
        x[17] = -3f;
        var q = new sbyte[64];
        fixed (sbyte* p = q)
        {
            float scale = LmStream.Quantize(x, p);
            Assert.Equal(3f / 127, scale, 1e-9);
            Assert.Equal(-127, q[17]);
            for (int i = 0; i < 64; i++) Assert.True(Math.Abs(q[i] * scale - x[i]) <= scale / 2 * 1.0001, $"value {i}: {q[i] * scale} for {x[i]}");
            Assert.Equal(0f, LmStream.Quantize(new float[64], p));
            Assert.All(q, v => Assert.Equal(0, v));
            x[5] = float.NaN;
            Assert.True(float.IsNaN(LmStream.Quantize(x, p)), "a NaN must reach the attention, as in float32");
        }
    }

    [Fact]
    public void WorkerPoolRunsEveryChunkOnceAndRethrows()
    {
        using var pool = new WorkerPool(3);
        var work = new CountingWork(100);
        pool.Run(work, 100);
        Assert.All(work.Counts, c => Assert.Equal(1, c));
        var failing = new CountingWork(10) { FailAt = 7 };
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(failing, 10));
        Assert.Contains("chunk 7", e.Message);
        pool.Run(work, 100); // still usable
        Assert.All(work.Counts, c => Assert.Equal(2, c));
    }

    [Fact]
    public void WorkerPoolSurvivesManyShortDispatchesFromSeveralThreads()
    {
        // Short jobs are where the caller finishes first and withdraws helpers that have not woken yet;
        // helpers then wake late into a later job. Some jobs come while the helpers still watch for work, some after
        // they have gone to sleep. Every chunk must still run exactly once per job.
        using var pool = new WorkerPool(3);
        var failures = 0;
        var callers = Enumerable.Range(0, 3).Select(seed => new Thread(() =>
        {
            var random = new Random(seed);
            for (int job = 0; job < 1500; job++)
            {
                int chunks = 2 + random.Next(4);
                var work = new CountingWork(chunks) { Spin = random.Next(3) == 0 ? 200 : 0 };
                pool.Run(work, chunks);
                if (work.Counts.Any(c => c != 1)) Interlocked.Increment(ref failures);
                if (random.Next(100) == 0) Thread.Sleep(1);   // longer than the helpers watch
            }
        })).ToArray();
        foreach (var t in callers) t.Start();
        foreach (var t in callers) Assert.True(t.Join(TimeSpan.FromSeconds(60)), "a dispatch hung");
        Assert.Equal(0, failures);
    }

    sealed class CountingWork(int n) : IChunkedWork
    {
        public readonly int[] Counts = new int[n];
        public int FailAt = -1;
        public int Spin;
        public void RunChunk(int chunk, int worker)
        {
            if (chunk == FailAt) throw new InvalidOperationException($"chunk {chunk}");
            Thread.SpinWait(Spin);
            Interlocked.Increment(ref Counts[chunk]);
        }
    }
}
