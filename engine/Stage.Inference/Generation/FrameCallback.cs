namespace Stage.Inference.Generation;

/// <summary>Called as soon as all four codebooks of stem frame <paramref name="frameIndex"/> are final
/// (the delay pattern finishes a frame three steps after its first codebook).</summary>
public delegate void FrameCallback(int frameIndex, ReadOnlySpan<int> fourCodes);

/// <summary>Sees the guided logits <c>[4 · 2048]</c> that predict <paramref name="step"/>, before sampling.</summary>
public delegate void GuidedLogitsObserver(int step, ReadOnlySpan<float> guidedLogits);
