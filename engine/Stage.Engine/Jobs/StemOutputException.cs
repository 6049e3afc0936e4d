namespace Stage.Engine.Jobs;

/// <summary>The stem was generated but its WAV could not be written (folder not writable, disk full…).</summary>
public sealed class StemOutputException(string message, Exception inner) : Exception(message, inner);
