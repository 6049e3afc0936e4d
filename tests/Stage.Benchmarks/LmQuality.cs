using Stage.Inference.Generation;
using Stage.Inference.Gpu;
using Stage.Inference.Models.Lm;

namespace Stage.Benchmarks;

/// <summary>
/// `lm --quality [steps] [--precision bf16|int8]`: what bfloat16 (default) or int8 weights do to the logits, on the full-size LM with random weights. Both
/// LMs are fed the same random tokens (teacher forcing, so one divergence cannot compound) for the given number of
/// steps (default 500); per step the conditional stream's logits are compared: the largest and RMS error against
/// float32, and per codebook whether the top-1 token and the top-250 set (what top-k 250 samples from) agree.
/// </summary>
static class LmQuality
{
    public static int Run(int steps, WeightPrecision precision)
    {
        var dims = LmDimensions.MusicGenSmall;
        var f32 = MusicGenLm.CreateRandom(dims, seed: 1);
        var stored = f32.In(precision);
        var random = new Random(5);
        var text = new float[20 * dims.TextDim];
        for (int i = 0; i < text.Length; i++) text[i] = (float)(random.NextDouble() * 2 - 1);
        var tokens = new int[steps * 4];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = random.Next(2048);

        using var reference = InferenceDevice.Cpu.CreateDecoder(f32);
        using var candidate = InferenceDevice.Cpu.CreateDecoder(stored);
        foreach (var d in new[] { reference, candidate })
        {
            d.Prepare(1, steps, steps, 20, 2);
            d.AttachText(text, 20);
        }
        int perStep = 4 * dims.Card;
        var a = new float[perStep];
        var b = new float[perStep];
        double maxError = 0, squares = 0;
        long values = 0, top1 = 0, top250 = 0, sets = 0;
        for (int t = 0; t < steps; t++)
        {
            var row = new DecoderRow(0, PrefixRow.Conditional, t, tokens.AsSpan(4 * t, 4), wantsLogits: true);
            reference.Forward([row]);
            candidate.Forward([row]);
            reference.ReadStepLogits(0, PrefixRow.Conditional, a);
            candidate.ReadStepLogits(0, PrefixRow.Conditional, b);
            for (int i = 0; i < perStep; i++)
            {
                double e = Math.Abs(a[i] - b[i]);
                maxError = Math.Max(maxError, e);
                squares += e * e;
            }
            values += perStep;
            for (int q = 0; q < 4; q++)
            {
                var ra = Ranked(a.AsSpan(q * dims.Card, dims.Card));
                var rb = Ranked(b.AsSpan(q * dims.Card, dims.Card));
                if (ra[0] == rb[0]) top1++;
                var set = new HashSet<int>(ra[..250]);
                int shared = 0;
                foreach (int k in rb[..250]) if (set.Contains(k)) shared++;
                top250 += shared;
                sets++;
            }
        }
        Console.WriteLine($"{WeightPrecisions.Name(precision)} against f32, {steps} teacher-forced steps, conditional logits of 4 codebooks x {dims.Card}:");
        Console.WriteLine($"  max |error| {maxError:0.0000}, RMS error {Math.Sqrt(squares / values):0.00000}");
        Console.WriteLine($"  top-1 token agrees {100.0 * top1 / sets:0.00}% of {sets} codebook-steps; top-250 sets share {100.0 * top250 / (250.0 * sets):0.00}% of their tokens");
        return 0;
    }

    static int[] Ranked(ReadOnlySpan<float> logits)
    {
        var order = new int[logits.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = logits.ToArray();
        Array.Sort(keys, order);
        Array.Reverse(order);
        return order;
    }
}
