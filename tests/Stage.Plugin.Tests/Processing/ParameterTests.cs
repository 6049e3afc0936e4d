using Stage.Plugin.Processing;

namespace Stage.Plugin.Tests.Processing;

public class ParameterTests
{
    [Fact]
    public void Ids_are_the_table_order()
    {
        for (int i = 0; i < StageParameters.Count; i++) Assert.Equal((ParameterId)i, StageParameters.All[i].Id);
        Assert.Equal(16, StageParameters.Count);
    }

    [Theory]
    [InlineData(ParameterId.Instrument, 0.0, "Drums")]
    [InlineData(ParameterId.Instrument, 1.0, "Bass")]
    [InlineData(ParameterId.Context, 0.5, "Click")]
    [InlineData(ParameterId.Context, 1.0, "Both")]
    [InlineData(ParameterId.Bars, 0.0, "1 bar")]
    [InlineData(ParameterId.Bars, 0.5, "4 bars")]
    [InlineData(ParameterId.Bars, 1.0, "16 bars")]
    [InlineData(ParameterId.Generate, 1.0, "Generate")]
    [InlineData(ParameterId.Variation, 0.0, "1")]
    [InlineData(ParameterId.Variations, 1.0, "8")]
    [InlineData(ParameterId.TopK, 1.0, "1000")]
    [InlineData(ParameterId.Seed, 1.0, "9999")]
    [InlineData(ParameterId.Temperature, 1.0, "2.00")]
    [InlineData(ParameterId.Guidance, 0.0, "1.0")]
    [InlineData(ParameterId.StemLevel, 1.0, "12.0 dB")]
    [InlineData(ParameterId.InputLevel, 0.0, "-60.0 dB")]
    [InlineData(ParameterId.Capture, 1.0, "Armed")]
    [InlineData(ParameterId.Loop, 0.0, "Off")]
    [InlineData(ParameterId.Status, 0.0, "Ready")]
    public void Display_strings_read_like_the_producer_expects(ParameterId id, double normalized, string expected) =>
        Assert.Equal(expected, StageParameters.Get(id).Display(normalized));

    [Fact]
    public void Defaults_are_transparent_and_sensible()
    {
        var v = new ParameterValues();
        Assert.Equal(1f, v.InputGain);
        Assert.Equal(1f, v.StemGain);
        Assert.Equal(4, v.Bars);
        Assert.True(v.CaptureArmed);
        Assert.Equal("250", StageParameters.Get(ParameterId.TopK).Display(v[ParameterId.TopK]));
        Assert.Equal("1.00", StageParameters.Get(ParameterId.Temperature).Display(v[ParameterId.Temperature]));
        Assert.Equal("3.0", StageParameters.Get(ParameterId.Guidance).Display(v[ParameterId.Guidance]));
        Assert.Equal("0.0 dB", StageParameters.Get(ParameterId.StemLevel).Display(v[ParameterId.StemLevel]));
    }

    [Fact]
    public void Every_discrete_value_survives_plain_normalized_plain()
    {
        foreach (var spec in StageParameters.All)
        {
            if (spec.StepCount == 0) continue;
            double lo = spec.Kind == ParameterKind.List ? 0 : spec.Minimum;
            for (int step = 0; step <= spec.StepCount; step++)
                Assert.Equal(lo + step, spec.ToPlain(spec.ToNormalized(lo + step)));
        }
    }

    [Theory]
    [InlineData(ParameterId.Instrument, "bass", 1.0)]
    [InlineData(ParameterId.Bars, "8 bars", 0.75)]
    [InlineData(ParameterId.StemLevel, "-60 dB", 0.0)]
    [InlineData(ParameterId.Seed, "0", 0.0)]
    public void Typed_values_parse(ParameterId id, string text, double normalized)
    {
        Assert.True(StageParameters.Get(id).TryParse(text, out double v));
        Assert.Equal(normalized, v, 9);
    }

    [Theory]
    [InlineData(ParameterId.Instrument, "piano")]
    [InlineData(ParameterId.TopK, "lots")]
    [InlineData(ParameterId.Temperature, "7")]
    public void Nonsense_does_not_parse(ParameterId id, string text) => Assert.False(StageParameters.Get(id).TryParse(text, out _));

    [Fact]
    public void Generate_is_momentary_one_request_per_press()
    {
        var plugin = new StagePlugin();
        plugin.SetParameter(ParameterId.Generate, 1);
        Assert.True(plugin.Process([0f], [0f], [], [], new float[1], new float[1], Blocks.At(0)));
        plugin.SetParameter(ParameterId.Generate, 1);   // still held: no new press
        Assert.False(plugin.Process([0f], [0f], [], [], new float[1], new float[1], Blocks.At(1)));
        plugin.SetParameter(ParameterId.Generate, 0);
        plugin.SetParameter(ParameterId.Generate, 1);
        Assert.True(plugin.Process([0f], [0f], [], [], new float[1], new float[1], Blocks.At(2)));
        Assert.True(plugin.GenerateRequests.TryRead(out var ticket));
        Assert.False(ticket.HasCapture);
        Assert.Equal(1.0, ticket.Parameters[(int)ParameterId.Generate]);
        Assert.True(plugin.GenerateRequests.TryRead(out _));
        Assert.False(plugin.GenerateRequests.TryRead(out _));
    }

    [Fact]
    public void Status_is_read_only_for_the_host()
    {
        var plugin = new StagePlugin();
        plugin.SetParameter(ParameterId.Status, 1);
        Assert.Equal(0, plugin.Parameters[ParameterId.Status]);
    }
}
