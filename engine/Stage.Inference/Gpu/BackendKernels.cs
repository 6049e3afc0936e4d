using ILGPU;
using ILGPU.Algorithms;

namespace Stage.Inference.Gpu;

/// <summary>A convolution's geometry as the device kernels need it (public: ILGPU compiles kernels in its own assembly) (time-major x [Length, In] → y [OutLength, Out]).</summary>
public struct ConvShape
{
    public int Length, In, Out, Kernel, Stride, Dilation, PadLeft, OutLength;
    /// <summary>Reflect padding mirrors a source zero-extended to this many frames (Kernels/TimePadding); 0 = zero padding.</summary>
    public int ReflectExtent;
    /// <summary>Transposed: window taps per output frame, and frames trimmed from the start.</summary>
    public int Taps, TrimLeft;
    public int EluInput, Accumulate;
}

/// <summary>
/// The per-layer ops of <see cref="Kernels.IComputeBackend"/> as ILGPU kernels, one thread per output value: the
/// same formulas as the CPU span kernels (Kernels/), written for the device. Weights come in the layouts the CPU
/// prepared them in (<see cref="Kernels.Conv1dWeights"/> [out, k·in], the polyphase transposed conv, LSTM gates
/// i, f, g, o), so both backends share one preparation.
/// </summary>
static class BackendKernels
{
    static float Elu(float v) => v > 0f ? v : XMath.Exp(v) - 1f;

    static float Sigmoid(float v) => 1f / (1f + XMath.Exp(-v));

    /// <summary>y[t, o] (+)= bias[o] + Σ W[o, (kk, i)]·act(pad(x))[t·stride + kk·dilation, i].</summary>
    public static void Conv1d(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvShape s)
    {
        int t = index / s.Out, o = index % s.Out;
        float sum = 0f;
        int row = s.Kernel * s.In;
        for (int kk = 0; kk < s.Kernel; kk++)
        {
            int j = t * s.Stride + kk * s.Dilation - s.PadLeft;   // the frame in x's own numbering
            if (s.ReflectExtent > 0)
            {
                if (j < 0) j = -j;
                else if (j >= s.ReflectExtent) j = 2 * (s.ReflectExtent - 1) - j;
            }
            if (j < 0 || j >= s.Length) continue;   // zero padding (or the zero extension of a short signal)
            long wBase = (long)o * row + kk * s.In, xBase = (long)j * s.In;
            for (int i = 0; i < s.In; i++)
            {
                float v = x[xBase + i];
                if (s.EluInput != 0) v = Elu(v);
                sum += w[wBase + i] * v;
            }
        }
        float result = bias[o] + sum;
        if (s.Accumulate != 0) result += y[index];
        y[index] = result;
    }

    /// <summary>
    /// Transposed conv as the polyphase convolution Kernels/ConvTranspose1dWeights prepares: output frame p = t' + trimLeft
    /// has phase r = p mod stride and sees the input frames of window row p / stride.
    /// </summary>
    public static void ConvTranspose1d(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, ConvShape s)
    {
        int t = index / s.Out, o = index % s.Out;
        int p = t + s.TrimLeft, r = p % s.Stride, windowRow = p / s.Stride;
        int cols = s.Taps * s.In;
        long wBase = (long)(r * s.Out + o) * cols;
        float sum = 0f;
        for (int position = 0; position < s.Taps; position++)
        {
            int frame = windowRow - (s.Taps - 1) + position;
            if (frame < 0 || frame >= s.Length) continue;
            long xBase = (long)frame * s.In, wAt = wBase + position * s.In;
            for (int i = 0; i < s.In; i++)
            {
                float v = x[xBase + i];
                if (s.EluInput != 0) v = Elu(v);
                sum += w[wAt + i] * v;
            }
        }
        y[index] = bias[r * s.Out + o] + sum;
    }

    /// <summary>y[row, o] (+)= bias[o] + Σ x[row, i]·W[o, i].</summary>
    public static void Linear(Index1D index, ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> y, int inFeatures, int outFeatures, int accumulate)
    {
        int row = index / outFeatures, o = index % outFeatures;
        long xBase = (long)row * inFeatures, wBase = (long)o * inFeatures;
        float sum = 0f;
        for (int i = 0; i < inFeatures; i++) sum += x[xBase + i] * w[wBase + i];
        float result = bias[o] + sum;
        if (accumulate != 0) result += y[index];
        y[index] = result;
    }

    /// <summary>
    /// One LSTM time step for one hidden unit: gates[t] (x·W_ihᵀ + biases, computed for all frames first) plus
    /// h[t]·W_hhᵀ, then c = f⊙c + i⊙g, h[t + 1] = o⊙tanh(c). h's row 0 is the state before the first frame; it and the
    /// cell are read only when <paramref name="carried"/> (a zero state adds nothing). One launch per step: step t reads
    /// what step t − 1 wrote.
    /// </summary>
    public static void LstmStep(Index1D index, ArrayView<float> gates, ArrayView<float> recurrent, ArrayView<float> cell, ArrayView<float> h, int hidden, int t, int carried)
    {
        int unit = index;
        long g = (long)t * 4 * hidden;
        float gi = gates[g + unit], gf = gates[g + hidden + unit], gg = gates[g + 2 * hidden + unit], go = gates[g + 3 * hidden + unit];
        if (carried != 0)
        {
            long previous = (long)t * hidden;
            for (int j = 0; j < hidden; j++)
            {
                float hj = h[previous + j];
                gi += recurrent[(long)unit * hidden + j] * hj;
                gf += recurrent[(long)(hidden + unit) * hidden + j] * hj;
                gg += recurrent[(long)(2 * hidden + unit) * hidden + j] * hj;
                go += recurrent[(long)(3 * hidden + unit) * hidden + j] * hj;
            }
        }
        float c = (carried != 0 ? Sigmoid(gf) * cell[unit] : 0f) + Sigmoid(gi) * XMath.Tanh(gg);
        cell[unit] = c;
        h[(long)(t + 1) * hidden + unit] = Sigmoid(go) * XMath.Tanh(c);
    }

    /// <summary>Elementwise: 0 ELU, 1 GELU (exact), 2 ReLU, 3 a + b.</summary>
    public static void Pointwise(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> y, int op)
    {
        int i = index;
        float v = a[i];
        y[i] = op switch
        {
            0 => Elu(v),
            1 => LmKernels.Gelu(v),
            2 => v > 0f ? v : 0f,
            _ => v + b[i],
        };
    }

    /// <summary>One row: 0 LayerNorm (weight, bias), 1 RMSNorm (weight), 2 softmax.</summary>
    public static void Rows(Index1D index, ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y, int dim, float eps, int op)
    {
        int row = index;
        long at = (long)row * dim;
        if (op == 2)
        {
            float max = x[at];
            for (int i = 1; i < dim; i++) max = XMath.Max(max, x[at + i]);
            float total = 0f;
            for (int i = 0; i < dim; i++) { float e = XMath.Exp(x[at + i] - max); y[at + i] = e; total += e; }
            for (int i = 0; i < dim; i++) y[at + i] /= total;
            return;
        }
        float mean = 0f;
        if (op == 0)
        {
            for (int i = 0; i < dim; i++) mean += x[at + i];
            mean /= dim;
        }
        float sq = 0f;
        for (int i = 0; i < dim; i++) { float d = x[at + i] - mean; sq += d * d; }
        float inv = 1f / XMath.Sqrt(sq / dim + eps);
        for (int i = 0; i < dim; i++)
            y[at + i] = (x[at + i] - mean) * inv * weight[i] + (op == 0 ? bias[i] : 0f);
    }
}
