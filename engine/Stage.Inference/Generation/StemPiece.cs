namespace Stage.Inference.Generation;

/// <summary>A run of decoded stem audio at 32 kHz: <see cref="Samples"/> start at <see cref="StartSample"/> of the stem.</summary>
public readonly record struct StemPiece(long StartSample, float[] Samples);
