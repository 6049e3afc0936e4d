using Stage.Plugin.Processing;

namespace Stage.Plugin.Tests.Processing;

public class StateTests
{
    [Fact]
    public void State_round_trips_parameters_and_the_stem_reference()
    {
        var values = new ParameterValues();
        values[ParameterId.Instrument] = 1;
        values[ParameterId.Seed] = StageParameters.Get(ParameterId.Seed).ToNormalized(1234);
        values[ParameterId.Loop] = 0;
        var stem = new StemReference(["/tmp/a b/stem-drums-120bpm-4bars-seed1234-v1.wav", "/tmp/ü.wav"], 16, 8, 44100);
        var bytes = PluginState.Capture(values, stem).Serialize();

        var back = PluginState.Deserialize(bytes);
        var restored = new ParameterValues();
        back.ApplyTo(restored);
        foreach (var spec in StageParameters.All)
            if (spec.Id is not ParameterId.Generate and not ParameterId.Status) Assert.Equal(values[spec.Id], restored[spec.Id]);
        Assert.Equal(stem.WavPaths, back.Stem!.WavPaths);
        Assert.Equal(16, back.Stem.StartPpq);
        Assert.Equal(8, back.Stem.LengthQuarters);
        Assert.Equal(44100, back.Stem.SampleRate);
        Assert.Equal(bytes, PluginState.Capture(restored, back.Stem).Serialize());
    }

    [Fact]
    public void The_prompt_and_the_instance_id_are_saved_with_the_project()
    {
        var values = new ParameterValues();
        values[ParameterId.OpenControlRoom] = 1;   // momentary: never saved pressed
        var bytes = PluginState.Capture(values, null, "tight funk drums, ghöst notes", "4f0c2d").Serialize();
        var back = PluginState.Deserialize(bytes);
        Assert.Equal("tight funk drums, ghöst notes", back.Prompt);
        Assert.Equal("4f0c2d", back.InstanceId);
        Assert.False(back.Parameters.ContainsKey(ParameterId.OpenControlRoom));
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => PluginState.Deserialize(bytes.AsSpan(0, bytes.Length - 2))).Message);
        var huge = (byte[])bytes.Clone();
        int promptLength = bytes.Length - 4 - 6 - 4 - System.Text.Encoding.UTF8.GetByteCount("tight funk drums, ghöst notes");
        BitConverter.GetBytes(int.MaxValue).CopyTo(huge, promptLength);
        Assert.Contains("prompt of", Assert.Throws<InvalidDataException>(() => PluginState.Deserialize(huge)).Message);
        var empty = PluginState.Deserialize(PluginState.Capture(values, null).Serialize());
        Assert.Equal("", empty.Prompt);
        Assert.Null(empty.InstanceId);
    }

    [Fact]
    public void Bad_states_are_refused_with_the_reason()
    {
        var good = PluginState.Capture(new ParameterValues(), new StemReference(["x.wav"], 0, 4, 48000)).Serialize();
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => PluginState.Deserialize("XXXX"u8)).Message);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => PluginState.Deserialize(good.AsSpan(0, good.Length - 3))).Message);
        var newer = (byte[])good.Clone();
        newer[4] = 9;
        Assert.Contains("newer", Assert.Throws<InvalidDataException>(() => PluginState.Deserialize(newer)).Message);
    }

    [Fact]
    public void Unknown_parameter_ids_from_a_later_version_are_skipped()
    {
        var bytes = new List<byte>("STGS"u8.ToArray()) { 1, 0, 2, 0 };
        bytes.AddRange(BitConverter.GetBytes(99u)); bytes.AddRange(BitConverter.GetBytes(0.5));
        bytes.AddRange(BitConverter.GetBytes((uint)ParameterId.Instrument)); bytes.AddRange(BitConverter.GetBytes(1.0));
        bytes.Add(0);
        var state = PluginState.Deserialize(bytes.ToArray());
        Assert.Equal(1.0, state.Parameters[ParameterId.Instrument]);
        Assert.Single(state.Parameters);
    }
}
