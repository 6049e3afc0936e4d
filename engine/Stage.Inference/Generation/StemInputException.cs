namespace Stage.Inference.Generation;

/// <summary>A stem request the producer has to change: silent context, impossible tempo, too long a stem.
/// The message names the problem and what to do about it.</summary>
public sealed class StemInputException(string message) : Exception(message);
