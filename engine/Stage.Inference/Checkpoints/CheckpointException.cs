namespace Stage.Inference.Checkpoints;

/// <summary>A checkpoint or model folder that cannot be used; the message names the file and the problem.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);
