namespace Stage.Plugin.Processing;

/// <summary>The host's track the plugin sits on: its name and colour (0xAARRGGBB), when the host says.</summary>
public sealed record TrackInfo(string? Name, uint? Colour);
