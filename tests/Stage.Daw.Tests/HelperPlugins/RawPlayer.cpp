// RawPlayer: a source for headless DAW tests. While the transport rolls it outputs the file named by
// $RAWPLAYER_FILE (float32 little-endian, stereo interleaved, at the session rate) at the frame the
// host's timeline is on (ProcessContext.projectTimeSamples), and silence everywhere else — before 0
// during pre-roll, past the end, and while stopped. Indexing by the host's own position makes what a
// later plugin receives independent of pre-roll, block splitting and locates.
#include "PluginModule.h"

#include <cstdlib>

namespace {

using namespace StageTest;

class RawPlayer final : public TestEffect {
public:
    RawPlayer() : TestEffect({}) {}

protected:
    void activate() override {
        if (loaded) return;
        loaded = true;
        const char* path = std::getenv("RAWPLAYER_FILE");
        FILE* file = path ? std::fopen(path, "rb") : nullptr;
        if (!file) {
            std::fprintf(stderr, "RawPlayer: cannot open $RAWPLAYER_FILE (%s)\n", path ? path : "unset");
            return;
        }
        std::fseek(file, 0, SEEK_END);
        long bytes = std::ftell(file);
        std::fseek(file, 0, SEEK_SET);
        samples.resize(static_cast<size_t>(bytes) / sizeof(float));
        size_t read = std::fread(samples.data(), sizeof(float), samples.size(), file);
        std::fclose(file);
        samples.resize(read - read % 2);
    }

    void processBlock(AudioBusBuffers&, AudioBusBuffers& output, int32 frames, const ProcessContext* context) override {
        const bool rolling = isRolling(context);
        const int64 start = context ? context->projectTimeSamples : 0;
        const int64 fileFrames = static_cast<int64>(samples.size() / 2);
        for (int32 channel = 0; channel < output.numChannels; channel++) {
            float* out = output.channelBuffers32[channel];
            for (int32 i = 0; i < frames; i++) {
                int64 frame = start + i;
                bool inFile = rolling && channel < 2 && frame >= 0 && frame < fileFrames;
                out[i] = inFile ? samples[static_cast<size_t>(2 * frame + channel)] : 0.0f;
            }
        }
        output.silenceFlags = 0;
    }

private:
    bool loaded = false;
    std::vector<float> samples;
};

} // namespace

STAGE_TEST_PLUGIN_MODULE(RawPlayer, "RawPlayer", 0x5374A6E1, 0x0D1B4C70, 0x8E21A1B0, 0x504C4159)
