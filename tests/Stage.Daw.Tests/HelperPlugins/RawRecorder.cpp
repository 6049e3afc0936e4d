// RawRecorder: a sink for headless DAW tests. It passes its input through unchanged and, while the
// transport rolls, writes the input (float32 little-endian, stereo interleaved) into
// $RAWRECORDER_DIR/take<N>.f32 at byte offset projectTimeSamples * 8, where N is the "Take"
// parameter (0..15). Each pass over the timeline can go to its own take, and every take is
// sample-aligned with the host's timeline whatever the pre-roll or block sizes were. Frames before 0
// (pre-roll) are not written. Writing from the audio thread is fine for a test helper: Ardour's
// Dummy backend runs late rather than dropping cycles.
#include "PluginModule.h"

#include <algorithm>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>

namespace {

using namespace StageTest;

constexpr int32 kMaxTakes = 16;

class RawRecorder final : public TestEffect {
public:
    RawRecorder() : TestEffect({{"Take", 0, kMaxTakes - 1, 0, kMaxTakes - 1}}) {
        for (int& fd : takeFiles) fd = kNotOpened;
    }
    ~RawRecorder() override {
        for (int fd : takeFiles)
            if (fd >= 0) close(fd);
    }

protected:
    void activate() override {
        const char* dir = std::getenv("RAWRECORDER_DIR");
        if (dir) directory = dir;
        else std::fprintf(stderr, "RawRecorder: $RAWRECORDER_DIR is not set, nothing will be written\n");
    }

    void processBlock(AudioBusBuffers& input, AudioBusBuffers& output, int32 frames, const ProcessContext* context) override {
        for (int32 channel = 0; channel < output.numChannels; channel++) {
            const float* in = channel < input.numChannels ? input.channelBuffers32[channel] : nullptr;
            float* out = output.channelBuffers32[channel];
            if (!in) std::memset(out, 0, sizeof(float) * static_cast<size_t>(frames));
            else if (out != in) std::memcpy(out, in, sizeof(float) * static_cast<size_t>(frames));
        }
        output.silenceFlags = input.silenceFlags;
        if (!isRolling(context)) return;
        int fd = takeFile(static_cast<int>(plainValue(0)));
        if (fd < 0) return;

        const int64 start = context->projectTimeSamples;
        int32 first = start < 0 ? static_cast<int32>(std::min<int64>(-start, frames)) : 0;
        while (first < frames) {
            int32 count = std::min<int32>(frames - first, kChunkFrames);
            for (int32 i = 0; i < count; i++)
                for (int32 channel = 0; channel < 2; channel++)
                    interleaved[2 * i + channel] = channel < input.numChannels ? input.channelBuffers32[channel][first + i] : 0.0f;
            ssize_t bytes = static_cast<ssize_t>(count) * 8;
            if (pwrite(fd, interleaved, static_cast<size_t>(bytes), static_cast<off_t>((start + first) * 8)) != bytes)
                std::fprintf(stderr, "RawRecorder: short write at frame %lld\n", static_cast<long long>(start + first));
            first += count;
        }
    }

private:
    static constexpr int32 kChunkFrames = 2048;
    static constexpr int kNotOpened = -1, kFailed = -2;

    int takeFile(int take) {
        if (directory.empty() || take < 0 || take >= kMaxTakes) return -1;
        if (takeFiles[take] == kNotOpened) {
            std::string path = directory + "/take" + std::to_string(take) + ".f32";
            takeFiles[take] = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (takeFiles[take] < 0) {
                std::fprintf(stderr, "RawRecorder: cannot create %s\n", path.c_str());
                takeFiles[take] = kFailed;
            }
        }
        return takeFiles[take] >= 0 ? takeFiles[take] : -1;
    }

    std::string directory;
    int takeFiles[kMaxTakes];
    float interleaved[2 * kChunkFrames];
};

} // namespace

STAGE_TEST_PLUGIN_MODULE(RawRecorder, "RawRecorder", 0x5374A6E1, 0x0D1B4C70, 0x8E21A1B0, 0x52454344)
