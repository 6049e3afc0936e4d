// The module side of a test helper: a factory with one "Audio Module Class" and the Linux entry
// points Ardour requires (GetPluginFactory, ModuleEntry, ModuleExit). A .cpp defines one effect and
// then expands STAGE_TEST_PLUGIN_MODULE once.
#pragma once

#include "TestEffect.h"

namespace StageTest {

class SingleClassFactory : public IPluginFactory {
public:
    using Create = TestEffect* (*)();
    SingleClassFactory(const char* name, const TUID classId, Create create) : name(name), create(create) {
        std::memcpy(this->classId, classId, 16);
    }

    tresult PLUGIN_API queryInterface(const TUID iid, void** obj) override {
        if (sameId(iid, FUnknown_iid) || sameId(iid, IPluginFactory_iid)) { *obj = this; return kResultOk; }
        *obj = nullptr;
        return kNoInterface;
    }
    // One static factory per module: the host's reference counting has nothing to free.
    uint32 PLUGIN_API addRef() override { return 1; }
    uint32 PLUGIN_API release() override { return 1; }

    tresult PLUGIN_API getFactoryInfo(PFactoryInfo* info) override {
        *info = {};
        std::strncpy(info->vendor, "Stage tests", sizeof info->vendor - 1);
        info->flags = PFactoryInfo::kUnicode;
        return kResultOk;
    }
    int32 PLUGIN_API countClasses() override { return 1; }
    tresult PLUGIN_API getClassInfo(int32 index, PClassInfo* info) override {
        if (index != 0) return kInvalidArgument;
        *info = {};
        std::memcpy(info->cid, classId, 16);
        info->cardinality = PClassInfo::kManyInstances;
        std::strncpy(info->category, kVstAudioEffectClass, sizeof info->category - 1);
        std::strncpy(info->name, name, sizeof info->name - 1);
        return kResultOk;
    }
    tresult PLUGIN_API createInstance(FIDString cid, FIDString iid, void** obj) override {
        *obj = nullptr;
        if (!sameId(cid, classId)) return kNoInterface;
        TestEffect* effect = create();
        tresult result = effect->queryInterface(iid, obj);
        effect->release(); // the queried interface now holds the only reference
        return result;
    }

private:
    const char* name;
    TUID classId;
    Create create;
};

} // namespace StageTest

#define STAGE_TEST_PLUGIN_MODULE(EffectClass, Name, l1, l2, l3, l4)                                       \
    static const Steinberg::TUID stageTestClassId = INLINE_UID(l1, l2, l3, l4);                           \
    static StageTest::SingleClassFactory stageTestFactory(Name, stageTestClassId,                         \
                                                          []() -> StageTest::TestEffect* { return new EffectClass(); }); \
    extern "C" {                                                                                          \
    __attribute__((visibility("default"))) Steinberg::IPluginFactory* GetPluginFactory() { return &stageTestFactory; } \
    __attribute__((visibility("default"))) bool ModuleEntry(void*) { return true; }                       \
    __attribute__((visibility("default"))) bool ModuleExit() { return true; }                             \
    }
