using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Stage.Inference.Kernels;

/// <summary>
/// One attention head for one query row over keys/values stored one step per <c>stride</c> floats (a head's
/// columns of a KV cache <c>[step, heads·headDim]</c>, or of a cross-attention memory):
/// <c>softmax(q·Kᵀ · scale) · V</c> over the first <c>length</c> steps. Causality is the caller's choice of
/// <c>length</c> (the query's own cache slot + 1): later steps are simply not passed. Softmax in float32
/// with the maximum subtracted.
/// </summary>
public static unsafe class CachedCausalAttention
{
    public static void Attend(ReadOnlySpan<float> query, ReadOnlySpan<float> keys, ReadOnlySpan<float> values, int stride,
        int length, float scale, Span<float> scores, Span<float> output)
    {
        int d = query.Length;
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "attention needs at least one key");
        long needed = (long)(length - 1) * stride + d;
        if (stride < d || keys.Length < needed || values.Length < needed || scores.Length < length || output.Length != d)
            throw new ArgumentException($"attention over {length} steps does not fit its buffers");

        var s = scores[..length];
        fixed (float* q = query)
        fixed (float* k = keys)
        fixed (float* v = values)
        fixed (float* p = s)
        fixed (float* o = output)
        {
            if (Vector512.IsHardwareAccelerated && d == 64)
            {
                Scores64(q, k, stride, length, scale, p);
                Softmax(s);
                Mix64(p, v, stride, length, o);
                return;
            }
            if (Vector256.IsHardwareAccelerated && d == 64)
            {
                Scores64x8(q, k, stride, length, scale, p);
                Softmax(s);
                Mix64x8<Float32Values>(p, (byte*)v, stride * sizeof(float), length, o);
                return;
            }
            for (int t = 0; t < length; t++)
                p[t] = TensorPrimitives.Dot(query, keys.Slice(t * stride, d)) * scale;
            Softmax(s);
            output.Clear();
            for (int t = 0; t < length; t++)
                TensorPrimitives.MultiplyAdd(values.Slice(t * stride, d), p[t], output, output);
        }
    }

    static void Softmax(Span<float> s)
    {
        float max = TensorPrimitives.Max(s);
        TensorPrimitives.Subtract(s, max, s);
        TensorPrimitives.Exp(s, s);
        TensorPrimitives.Divide(s, TensorPrimitives.Sum(s), s);
    }

    static void Scores64(float* q, float* k, int stride, int length, float scale, float* scores)
    {
        var q0 = Vector512.Load(q); var q1 = Vector512.Load(q + 16);
        var q2 = Vector512.Load(q + 32); var q3 = Vector512.Load(q + 48);
        for (int t = 0; t < length; t++, k += stride)
        {
            var a = Vector512.Multiply(q0, Vector512.Load(k));
            a = Vector512.FusedMultiplyAdd(q1, Vector512.Load(k + 16), a);
            a = Vector512.FusedMultiplyAdd(q2, Vector512.Load(k + 32), a);
            a = Vector512.FusedMultiplyAdd(q3, Vector512.Load(k + 48), a);
            scores[t] = Vector512.Sum(a) * scale;
        }
    }

    static void Mix64(float* weights, float* v, int stride, int length, float* output)
    {
        Vector512<float> o0 = default, o1 = default, o2 = default, o3 = default;
        for (int t = 0; t < length; t++, v += stride)
        {
            var w = Vector512.Create(weights[t]);
            o0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(v), o0);
            o1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(v + 16), o1);
            o2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(v + 32), o2);
            o3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(v + 48), o3);
        }
        o0.Store(output); o1.Store(output + 16); o2.Store(output + 32); o3.Store(output + 48);
    }

    // The AVX2 forms of the two loops above: a decode step's attention reads the whole KV cache, and a call per key
    // (TensorPrimitives.Dot on 64 floats) cost more than the reading.
    static void Scores64x8(float* q, float* k, int stride, int length, float scale, float* scores)
    {
        var q0 = Vector256.Load(q); var q1 = Vector256.Load(q + 8); var q2 = Vector256.Load(q + 16); var q3 = Vector256.Load(q + 24);
        var q4 = Vector256.Load(q + 32); var q5 = Vector256.Load(q + 40); var q6 = Vector256.Load(q + 48); var q7 = Vector256.Load(q + 56);
        for (int t = 0; t < length; t++, k += stride)
        {
            var a = Vector256.Multiply(q0, Vector256.Load(k));
            var b = Vector256.Multiply(q1, Vector256.Load(k + 8));
            a = Vector256.FusedMultiplyAdd(q2, Vector256.Load(k + 16), a);
            b = Vector256.FusedMultiplyAdd(q3, Vector256.Load(k + 24), b);
            a = Vector256.FusedMultiplyAdd(q4, Vector256.Load(k + 32), a);
            b = Vector256.FusedMultiplyAdd(q5, Vector256.Load(k + 40), b);
            a = Vector256.FusedMultiplyAdd(q6, Vector256.Load(k + 48), a);
            b = Vector256.FusedMultiplyAdd(q7, Vector256.Load(k + 56), b);
            scores[t] = Vector256.Sum(a + b) * scale;
        }
    }


    /// <summary>
    /// As <see cref="Attend(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, float, Span{float}, Span{float})"/>
    /// over a bfloat16 cache of one head, steps back to back (stride = the head dimension); each value widened exactly.
    /// </summary>
    public static void Attend(ReadOnlySpan<float> query, ReadOnlySpan<ushort> keys, ReadOnlySpan<ushort> values,
        int length, float scale, Span<float> scores, Span<float> output)
    {
        int d = query.Length;
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "attention needs at least one key");
        if (keys.Length < (long)length * d || values.Length < (long)length * d || scores.Length < length || output.Length != d)
            throw new ArgumentException($"attention over {length} steps does not fit its buffers");
        var s = scores[..length];
        fixed (float* q = query)
        fixed (ushort* k = keys)
        fixed (ushort* v = values)
        fixed (float* p = s)
        fixed (float* o = output)
        {
            if (Avx2.IsSupported && d == 64)
            {
                ScoresBFloat16x64(q, k, length, scale, p);
                Softmax(s);
                Mix64x8<BFloat16Values>(p, (byte*)v, 64 * sizeof(ushort), length, o);
                return;
            }
            for (int t = 0; t < length; t++)
            {
                float sum = 0;
                for (int i = 0; i < d; i++) sum += q[i] * Widen(k[(long)t * d + i]);
                p[t] = sum * scale;
            }
            Softmax(s);
            output.Clear();
            for (int t = 0; t < length; t++)
                for (int i = 0; i < d; i++) o[i] += p[t] * Widen(v[(long)t * d + i]);
        }
    }

    static float Widen(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Widen8(ushort* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

    static void ScoresBFloat16x64(float* q, ushort* k, int length, float scale, float* scores)
    {
        var q0 = Vector256.Load(q); var q1 = Vector256.Load(q + 8); var q2 = Vector256.Load(q + 16); var q3 = Vector256.Load(q + 24);
        var q4 = Vector256.Load(q + 32); var q5 = Vector256.Load(q + 40); var q6 = Vector256.Load(q + 48); var q7 = Vector256.Load(q + 56);
        for (int t = 0; t < length; t++, k += 64)
        {
            var a = Vector256.Multiply(q0, Widen8(k));
            var b = Vector256.Multiply(q1, Widen8(k + 8));
            a = Vector256.FusedMultiplyAdd(q2, Widen8(k + 16), a);
            b = Vector256.FusedMultiplyAdd(q3, Widen8(k + 24), b);
            a = Vector256.FusedMultiplyAdd(q4, Widen8(k + 32), a);
            b = Vector256.FusedMultiplyAdd(q5, Widen8(k + 40), b);
            a = Vector256.FusedMultiplyAdd(q6, Widen8(k + 48), a);
            b = Vector256.FusedMultiplyAdd(q7, Widen8(k + 56), b);
            scores[t] = Vector256.Sum(a + b) * scale;
        }
    }


    /// <summary>
    /// As <see cref="Attend(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, float, Span{float}, Span{float})"/>
    /// over an int8 cache of one head, steps back to back (stride = the head dimension), each step's keys and values with
    /// their own scale. On AVX2 the query is rounded to int16 (largest magnitude 32767, an error far below the keys' own)
    /// so each key is four <c>vpmaddwd</c>; the values are widened to float32 exactly and weighted by softmax × scale.
    /// </summary>
    public static void Attend(ReadOnlySpan<float> query, ReadOnlySpan<sbyte> keys, ReadOnlySpan<float> keyScales,
        ReadOnlySpan<sbyte> values, ReadOnlySpan<float> valueScales, int length, float scale, Span<float> scores, Span<float> output)
    {
        int d = query.Length;
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "attention needs at least one key");
        if (keys.Length < (long)length * d || values.Length < (long)length * d || keyScales.Length < length
            || valueScales.Length < length || scores.Length < length || output.Length != d)
            throw new ArgumentException($"attention over {length} steps does not fit its buffers");
        var s = scores[..length];
        float queryMax = MathF.Abs(TensorPrimitives.MaxMagnitude(query));
        fixed (float* q = query)
        fixed (sbyte* k = keys)
        fixed (float* ks = keyScales)
        fixed (sbyte* v = values)
        fixed (float* p = s)
        fixed (float* o = output)
        {
            if (Avx2.IsSupported && d == 64 && float.IsFinite(queryMax))
            {
                short* q16 = stackalloc short[64];
                float queryScale = queryMax > 0 ? queryMax / QueryLevels : 0;
                var by = Vector256.Create(queryMax > 0 ? QueryLevels / queryMax : 0);
                for (int i = 0; i < 64; i += 16)
                {
                    var a = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(q + i), by));
                    var b = Avx.ConvertToVector256Int32(Avx.Multiply(Avx.LoadVector256(q + i + 8), by));
                    // packs lanes 0-3 of a, 0-3 of b, 4-7 of a, 4-7 of b; the permute puts them back in order
                    Avx.Store(q16 + i, Avx2.Permute4x64(Avx2.PackSignedSaturate(a, b).AsInt64(), 0b11_01_10_00).AsInt16());
                }
                ScoresInt8x64(q16, k, ks, length, queryScale * scale, p);
                Softmax(s);
                TensorPrimitives.Multiply(s, valueScales[..length], s);
                Mix64x8<Int8Values>(p, (byte*)v, 64, length, o);
                return;
            }
            for (int t = 0; t < length; t++)
            {
                float sum = 0;
                for (int i = 0; i < d; i++) sum += q[i] * k[(long)t * d + i];
                p[t] = sum * ks[t] * scale;
            }
            Softmax(s);
            TensorPrimitives.Multiply(s, valueScales[..length], s);
            output.Clear();
            for (int t = 0; t < length; t++)
                for (int i = 0; i < d; i++) o[i] += p[t] * v[(long)t * d + i];
        }
    }

    // |q| ≤ 32767 and |k| ≤ 127 over 64 products stay far inside an int32 lane
    const float QueryLevels = 32767;

    static void ScoresInt8x64(short* q, sbyte* k, float* keyScales, int length, float factor, float* scores)
    {
        var q0 = Avx.LoadVector256(q); var q1 = Avx.LoadVector256(q + 16); var q2 = Avx.LoadVector256(q + 32); var q3 = Avx.LoadVector256(q + 48);
        for (int t = 0; t < length; t++, k += 64)
        {
            var a = Avx2.MultiplyAddAdjacent(q0, Avx2.ConvertToVector256Int16(k));
            var b = Avx2.MultiplyAddAdjacent(q1, Avx2.ConvertToVector256Int16(k + 16));
            a = Avx2.Add(a, Avx2.MultiplyAddAdjacent(q2, Avx2.ConvertToVector256Int16(k + 32)));
            b = Avx2.Add(b, Avx2.MultiplyAddAdjacent(q3, Avx2.ConvertToVector256Int16(k + 48)));
            scores[t] = Vector256.Sum(Avx2.Add(a, b)) * factor * keyScales[t];
        }
    }



    /// <summary>
    /// o = Σ_t weights[t] · v_t over 64-wide value rows <paramref name="stride"/> bytes apart, each row widened to float32 by
    /// <typeparamref name="TValues"/> (a struct, so the JIT compiles one loop per storage with the widening inlined).
    /// </summary>
    static void Mix64x8<TValues>(float* weights, byte* v, int stride, int length, float* output) where TValues : struct, IValueRow
    {
        Vector256<float> o0 = default, o1 = default, o2 = default, o3 = default, o4 = default, o5 = default, o6 = default, o7 = default;
        for (int t = 0; t < length; t++, v += stride)
        {
            var w = Vector256.Create(weights[t]);
            o0 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 0), o0);
            o1 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 8), o1);
            o2 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 16), o2);
            o3 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 24), o3);
            o4 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 32), o4);
            o5 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 40), o5);
            o6 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 48), o6);
            o7 = Vector256.FusedMultiplyAdd(w, TValues.Widen8(v, 56), o7);
        }
        o0.Store(output); o1.Store(output + 8); o2.Store(output + 16); o3.Store(output + 24);
        o4.Store(output + 32); o5.Store(output + 40); o6.Store(output + 48); o7.Store(output + 56);
    }

    /// <summary>How a cache row's values are stored: eight of them, from value <c>i</c> on, as float32.</summary>
    interface IValueRow
    {
        static abstract Vector256<float> Widen8(byte* row, int i);
    }

    struct Float32Values : IValueRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen8(byte* row, int i) => Vector256.Load((float*)row + i);
    }

    struct BFloat16Values : IValueRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen8(byte* row, int i) => CachedCausalAttention.Widen8((ushort*)row + i);
    }

    struct Int8Values : IValueRow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Widen8(byte* row, int i) => Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((sbyte*)row + i));
    }
}
