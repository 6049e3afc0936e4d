using Stage.Plugin.Processing;

namespace Stage.Plugin.Tests.Processing;

public class TransparencyTests
{
    [Fact]
    public void Default_plugin_without_stem_outputs_its_input_bit_for_bit_at_any_block_size()
    {
        var plugin = new StagePlugin();
        var random = new Random(7);
        foreach (var (start, n) in Blocks.Random(-3000, 200_000, seed: 1))
        {
            var inL = new float[n];
            var inR = new float[n];
            for (int i = 0; i < n; i++) { inL[i] = (float)(random.NextDouble() * 2 - 1); inR[i] = (float)(random.NextDouble() * 2 - 1); }
            var (outL, outR) = Blocks.Run(plugin, inL, inR, Blocks.At(start));
            Assert.Equal(inL, outL);
            Assert.Equal(inR, outR);
            plugin.ProvideCaptureBuffer();
        }
    }

    [Fact]
    public void Without_a_process_context_the_plugin_passes_audio_through_and_captures_nothing()
    {
        var plugin = new StagePlugin();
        var inL = new float[] { 0.1f, -0.2f, 0.3f };
        var inR = new float[] { -0.5f, 0.25f, 1e-30f };
        var (outL, outR) = Blocks.Run(plugin, inL, inR, Transport.None(48000));
        Assert.Equal(inL, outL);
        Assert.Equal(inR, outR);
        Assert.False(plugin.ProvideCaptureBuffer());
    }

    [Fact]
    public void In_place_processing_with_aliased_buffers_is_transparent()
    {
        var plugin = new StagePlugin();
        var l = new float[] { 0.5f, 0.25f };
        var r = new float[] { -0.5f, -0.25f };
        plugin.Process(l, r, [], [], l, r, Blocks.At(0));
        Assert.Equal([0.5f, 0.25f], l);
        Assert.Equal([-0.5f, -0.25f], r);
    }

    [Fact]
    public void Input_level_scales_the_input()
    {
        var plugin = new StagePlugin();
        plugin.SetParameter(ParameterId.InputLevel, StageParameters.Get(ParameterId.InputLevel).ToNormalized(-6));
        var (outL, _) = Blocks.Run(plugin, [1f], [1f], Blocks.At(0));
        Assert.Equal(Math.Pow(10, -6 / 20.0), outL[0], 5);
    }
}
