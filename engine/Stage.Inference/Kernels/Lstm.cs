using System.Buffers;
using System.Numerics.Tensors;

namespace Stage.Inference.Kernels;

/// <summary>
/// Stacked LSTM over time-major frames (PyTorch nn.LSTM semantics), from zero state or from where an
/// <see cref="LstmState"/> left off. x and y must not overlap.
/// </summary>
public static class Lstm
{
    /// <summary>
    /// y [length, hidden] = the last layer's hidden states for x [length, input]. Each layer consumes
    /// the previous layer's outputs: gates = x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh,
    /// i, f, o = σ, g = tanh, c = f⊙c + i⊙g, h = o⊙tanh(c). Starts from <paramref name="state"/> (null: zero state)
    /// and leaves it where the last frame ends.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, int length, LstmWeights w, Span<float> y, LstmState? state = null)
    {
        state?.Check(w);
        int h = w.HiddenSize, gates = 4 * h;
        if (x.Length < length * w.InputSize) throw new ArgumentException($"x holds {x.Length} floats, expected [{length}, {w.InputSize}]");
        if (y.Length < length * h) throw new ArgumentException($"y holds {y.Length} floats, expected [{length}, {h}]");
        if (length == 0) return;

        var pool = ArrayPool<float>.Shared;
        var g = pool.Rent(length * gates);
        var ping = pool.Rent(length * h);
        var pong = pool.Rent(length * h);
        var cell = pool.Rent(h);
        var tanhCell = pool.Rent(h);
        try
        {
            ReadOnlySpan<float> input = x[..(length * w.InputSize)];
            for (int l = 0; l < w.Layers; l++)
            {
                // Intermediate layers alternate between two buffers so a layer never overwrites its input.
                var outputs = l == w.Layers - 1 ? y[..(length * h)] : (l % 2 == 0 ? ping : pong).AsSpan(0, length * h);
                var all = g.AsSpan(0, length * gates);
                MatMul.Linear(input, length, w.Input[l], all);
                var c = cell.AsSpan(0, h);
                var tc = tanhCell.AsSpan(0, h);
                // A zero h adds nothing, so the first frame of a fresh sequence skips the recurrent product.
                bool carried = state is not null && state.Frames > 0;
                if (carried) state!.Cell[l].CopyTo(c);
                else c.Clear();
                for (int t = 0; t < length; t++)
                {
                    var gt = all.Slice(t * gates, gates);
                    if (t > 0) MatMul.Linear(outputs.Slice((t - 1) * h, h), 1, w.Recurrent[l], gt, accumulate: true);
                    else if (carried) MatMul.Linear(state!.Hidden[l], 1, w.Recurrent[l], gt, accumulate: true);
                    var i = gt[..h];
                    var f = gt.Slice(h, h);
                    var gg = gt.Slice(2 * h, h);
                    var o = gt.Slice(3 * h, h);
                    TensorPrimitives.Sigmoid(i, i);
                    TensorPrimitives.Sigmoid(f, f);
                    TensorPrimitives.Tanh(gg, gg);
                    TensorPrimitives.Sigmoid(o, o);
                    TensorPrimitives.Multiply(f, c, c);
                    TensorPrimitives.MultiplyAdd(i, gg, c, c);
                    TensorPrimitives.Tanh(c, tc);
                    TensorPrimitives.Multiply(o, tc, outputs.Slice(t * h, h));
                }
                if (state is not null)
                {
                    outputs.Slice((length - 1) * h, h).CopyTo(state.Hidden[l]);
                    c.CopyTo(state.Cell[l]);
                }
                input = outputs;
            }
            if (state is not null) state.Frames += length;
        }
        finally
        {
            pool.Return(g);
            pool.Return(ping);
            pool.Return(pong);
            pool.Return(cell);
            pool.Return(tanhCell);
        }
    }
}
