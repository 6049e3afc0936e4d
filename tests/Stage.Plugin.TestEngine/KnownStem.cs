namespace Stage.Plugin.TestEngine;

/// <summary>The stem the test engine streams: every sample names its variation, frame and channel.</summary>
public static class KnownStem
{
    public static float Sample(int variation, long frame, int channel) =>
        (float)((frame % 4801) / 4801.0 - 0.5) * (channel == 0 ? 0.5f : -0.5f) + variation * 0.001f;
}
