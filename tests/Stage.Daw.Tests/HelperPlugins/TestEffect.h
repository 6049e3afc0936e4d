// A stereo-in/stereo-out VST3 effect reduced to what a test helper needs: one object that is the
// component, the processor and the controller (Ardour 7.3 accepts this layout: it QIs IEditController
// from the component and calls initialize() twice on the same object), plain-value parameters, and a
// processBlock() that sees the host's ProcessContext. Written against the pluginterfaces headers only.
#pragma once

#include "pluginterfaces/base/ibstream.h"
#include "pluginterfaces/base/ipluginbase.h"
#include "pluginterfaces/vst/ivstaudioprocessor.h"
#include "pluginterfaces/vst/ivstcomponent.h"
#include "pluginterfaces/vst/ivsteditcontroller.h"
#include "pluginterfaces/vst/ivstparameterchanges.h"
#include "pluginterfaces/vst/ivstprocesscontext.h"

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace StageTest {

using namespace Steinberg;
using namespace Steinberg::Vst;

inline bool sameId(const TUID a, const TUID b) { return std::memcmp(a, b, 16) == 0; }

inline void copyUtf16(char16* destination, const char* source, int capacity) {
    int i = 0;
    for (; source[i] != 0 && i < capacity - 1; i++) destination[i] = static_cast<char16>(source[i]);
    destination[i] = 0;
}

// A parameter as the host sees it; stepCount 0 means continuous.
struct ParameterSpec {
    const char* title;
    double plainMin, plainMax, plainDefault;
    int32 stepCount;

    double toNormalized(double plain) const {
        double n = (plain - plainMin) / (plainMax - plainMin);
        return n < 0 ? 0 : n > 1 ? 1 : n;
    }
    double toPlain(double normalized) const {
        double plain = plainMin + normalized * (plainMax - plainMin);
        return stepCount > 0 ? std::round(plain) : plain;
    }
};

class TestEffect : public IComponent, public IAudioProcessor, public IEditController, public IProcessContextRequirements {
public:
    explicit TestEffect(std::vector<ParameterSpec> specs) : parameters(std::move(specs)) {
        for (const ParameterSpec& p : parameters) normalized.push_back(p.toNormalized(p.plainDefault));
    }
    virtual ~TestEffect() = default;

    // FUnknown: every interface is a base of this one object.
    tresult PLUGIN_API queryInterface(const TUID iid, void** obj) override {
        if (sameId(iid, FUnknown_iid) || sameId(iid, IPluginBase_iid) || sameId(iid, IComponent_iid))
            *obj = static_cast<IComponent*>(this);
        else if (sameId(iid, IAudioProcessor_iid)) *obj = static_cast<IAudioProcessor*>(this);
        else if (sameId(iid, IEditController_iid)) *obj = static_cast<IEditController*>(this);
        else if (sameId(iid, IProcessContextRequirements_iid)) *obj = static_cast<IProcessContextRequirements*>(this);
        else { *obj = nullptr; return kNoInterface; }
        addRef();
        return kResultOk;
    }
    uint32 PLUGIN_API addRef() override { return ++references; }
    uint32 PLUGIN_API release() override {
        uint32 left = --references;
        if (left == 0) delete this;
        return left;
    }

    // IPluginBase (shared by IComponent and IEditController, so it must be idempotent).
    tresult PLUGIN_API initialize(FUnknown*) override { return kResultOk; }
    tresult PLUGIN_API terminate() override { return kResultOk; }

    // IComponent
    tresult PLUGIN_API getControllerClassId(TUID) override { return kResultFalse; }
    tresult PLUGIN_API setIoMode(IoMode) override { return kResultOk; }
    int32 PLUGIN_API getBusCount(MediaType type, BusDirection) override { return type == kAudio ? 1 : 0; }
    tresult PLUGIN_API getBusInfo(MediaType type, BusDirection direction, int32 index, BusInfo& bus) override {
        if (type != kAudio || index != 0) return kInvalidArgument;
        bus.mediaType = kAudio;
        bus.direction = direction;
        bus.channelCount = 2;
        copyUtf16(bus.name, direction == kInput ? "Input" : "Output", 128);
        bus.busType = kMain;
        bus.flags = BusInfo::kDefaultActive;
        return kResultTrue;
    }
    tresult PLUGIN_API getRoutingInfo(RoutingInfo&, RoutingInfo&) override { return kNotImplemented; }
    tresult PLUGIN_API activateBus(MediaType, BusDirection, int32, TBool) override { return kResultTrue; }
    tresult PLUGIN_API setActive(TBool state) override {
        if (state) activate();
        return kResultOk;
    }
    // IComponent::setState and IEditController::setState share a signature: the state is the
    // normalized parameter values, so one override serves both.
    tresult PLUGIN_API setState(IBStream* stream) override {
        if (!stream) return kInvalidArgument;
        for (double& value : normalized) {
            int32 read = 0;
            double v;
            if (stream->read(&v, sizeof v, &read) != kResultOk || read != sizeof v) return kResultFalse;
            value = v;
        }
        return kResultOk;
    }
    tresult PLUGIN_API getState(IBStream* stream) override {
        if (!stream) return kInvalidArgument;
        for (double& value : normalized) {
            int32 written = 0;
            if (stream->write(&value, sizeof value, &written) != kResultOk) return kResultFalse;
        }
        return kResultOk;
    }

    // IAudioProcessor
    tresult PLUGIN_API setBusArrangements(SpeakerArrangement* inputs, int32 inputCount, SpeakerArrangement* outputs, int32 outputCount) override {
        bool stereo = inputCount == 1 && outputCount == 1 && inputs[0] == SpeakerArr::kStereo && outputs[0] == SpeakerArr::kStereo;
        return stereo ? kResultTrue : kResultFalse;
    }
    tresult PLUGIN_API getBusArrangement(BusDirection, int32 index, SpeakerArrangement& arrangement) override {
        if (index != 0) return kInvalidArgument;
        arrangement = SpeakerArr::kStereo;
        return kResultTrue;
    }
    tresult PLUGIN_API canProcessSampleSize(int32 size) override { return size == kSample32 ? kResultTrue : kResultFalse; }
    uint32 PLUGIN_API getLatencySamples() override { return 0; }
    tresult PLUGIN_API setupProcessing(ProcessSetup&) override { return kResultOk; }
    tresult PLUGIN_API setProcessing(TBool) override { return kResultOk; }
    tresult PLUGIN_API process(ProcessData& data) override {
        applyParameterChanges(data.inputParameterChanges);
        if (data.numInputs < 1 || data.numOutputs < 1 || data.numSamples <= 0) return kResultOk;
        processBlock(data.inputs[0], data.outputs[0], data.numSamples, data.processContext);
        return kResultOk;
    }
    uint32 PLUGIN_API getTailSamples() override { return 0; }

    // IEditController
    tresult PLUGIN_API setComponentState(IBStream* stream) override { return setState(stream); }
    int32 PLUGIN_API getParameterCount() override { return static_cast<int32>(parameters.size()); }
    tresult PLUGIN_API getParameterInfo(int32 index, ParameterInfo& info) override {
        if (index < 0 || index >= getParameterCount()) return kInvalidArgument;
        const ParameterSpec& p = parameters[index];
        std::memset(&info, 0, sizeof info);
        info.id = static_cast<ParamID>(index);
        copyUtf16(info.title, p.title, 128);
        copyUtf16(info.shortTitle, p.title, 128);
        info.stepCount = p.stepCount;
        info.defaultNormalizedValue = p.toNormalized(p.plainDefault);
        info.flags = ParameterInfo::kCanAutomate;
        return kResultTrue;
    }
    tresult PLUGIN_API getParamStringByValue(ParamID id, ParamValue value, String128 text) override {
        if (id >= parameters.size()) return kInvalidArgument;
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", parameters[id].toPlain(value));
        copyUtf16(text, buffer, 128);
        return kResultTrue;
    }
    tresult PLUGIN_API getParamValueByString(ParamID, TChar*, ParamValue&) override { return kResultFalse; }
    ParamValue PLUGIN_API normalizedParamToPlain(ParamID id, ParamValue value) override {
        return id < parameters.size() ? parameters[id].toPlain(value) : value;
    }
    ParamValue PLUGIN_API plainParamToNormalized(ParamID id, ParamValue plain) override {
        return id < parameters.size() ? parameters[id].toNormalized(plain) : plain;
    }
    ParamValue PLUGIN_API getParamNormalized(ParamID id) override { return id < normalized.size() ? normalized[id] : 0; }
    tresult PLUGIN_API setParamNormalized(ParamID id, ParamValue value) override {
        if (id >= normalized.size()) return kInvalidArgument;
        normalized[id] = value;
        return kResultTrue;
    }
    tresult PLUGIN_API setComponentHandler(IComponentHandler*) override { return kResultOk; }
    IPlugView* PLUGIN_API createView(FIDString) override { return nullptr; }

    // IProcessContextRequirements
    uint32 PLUGIN_API getProcessContextRequirements() override { return kNeedProjectTimeMusic | kNeedTempo | kNeedTimeSignature | kNeedTransportState; }

protected:
    // Called from setActive(true), off the audio thread: the place for loading files.
    virtual void activate() {}
    virtual void processBlock(AudioBusBuffers& input, AudioBusBuffers& output, int32 frames, const ProcessContext* context) = 0;

    double plainValue(ParamID id) const { return parameters[id].toPlain(normalized[id]); }

    static bool isRolling(const ProcessContext* context) {
        return context != nullptr && (context->state & ProcessContext::kPlaying) != 0;
    }

private:
    void applyParameterChanges(IParameterChanges* changes) {
        if (!changes) return;
        for (int32 i = 0; i < changes->getParameterCount(); i++) {
            IParamValueQueue* queue = changes->getParameterData(i);
            if (!queue || queue->getPointCount() <= 0 || queue->getParameterId() >= normalized.size()) continue;
            int32 offset;
            ParamValue value;
            // Helpers only need block accuracy: the last point of the block wins.
            if (queue->getPoint(queue->getPointCount() - 1, offset, value) == kResultTrue) normalized[queue->getParameterId()] = value;
        }
    }

    std::atomic<uint32> references{1};
    std::vector<ParameterSpec> parameters;
    std::vector<double> normalized;
};

} // namespace StageTest
