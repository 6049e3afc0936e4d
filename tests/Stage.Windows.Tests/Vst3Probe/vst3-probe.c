/* vst3-probe MODULE: loads a VST3 module the way a Windows host does (LoadLibrary, InitDll,
   GetPluginFactory), lists its classes, then hosts the first one (an audio processor): initialize,
   setupProcessing, setActive, one stereo block through process(), a state round trip, teardown,
   ExitDll. Prints one "key value" line per fact for Stage.Windows.Tests. Compiled by the tests with
   mingw-w64 and run under Wine; never shipped. The interfaces are the VST3 ABI's, by vtable slot. */
#include <windows.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Interface ids in Windows' (COM) byte order: the SDK's INLINE_UID with COM_COMPATIBLE. */
static const GUID IID_IComponent = { 0xE831FF31, 0xF2D5, 0x4301, { 0x92, 0x8E, 0xBB, 0xEE, 0x25, 0x69, 0x78, 0x02 } };
static const GUID IID_IAudioProcessor = { 0x42043F99, 0xB7DA, 0x453C, { 0xA5, 0x69, 0xE7, 0x9D, 0x9A, 0xAE, 0xC3, 0x3D } };
static const GUID IID_IBStream = { 0xC3BF6EA2, 0x3099, 0x4752, { 0x9B, 0x6B, 0xF9, 0x90, 0x1E, 0xE3, 0x3E, 0x9B } };
static const GUID IID_FUnknown = { 0x00000000, 0x0000, 0x0000, { 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46 } };

typedef void **Object; /* a COM-style object: a pointer to its vtable */
#define SLOT(object, index, type) ((type)(*(Object *)(object))[index])

typedef struct { int processMode, symbolicSampleSize, maxSamplesPerBlock; double sampleRate; } ProcessSetup;
typedef struct { int numChannels; unsigned long long silenceFlags; float **channelBuffers32; } AudioBusBuffers;
typedef struct {
    int processMode, symbolicSampleSize, numSamples, numInputs, numOutputs;
    AudioBusBuffers *inputs, *outputs;
    void *inputParameterChanges, *outputParameterChanges, *inputEvents, *outputEvents, *processContext;
} ProcessData;

/* IBStream over a growable memory buffer. */
typedef struct { void **vtbl; unsigned char *data; long long size, capacity, position; } Stream;
static int __stdcall StreamQueryInterface(Stream *s, const GUID *iid, void **out)
{
    if (IsEqualGUID(iid, &IID_IBStream) || IsEqualGUID(iid, &IID_FUnknown)) { *out = s; return 0; }
    *out = NULL; return (int)0x80004002;
}
static unsigned __stdcall StreamAddRef(Stream *s) { (void)s; return 1; }
static unsigned __stdcall StreamRelease(Stream *s) { (void)s; return 1; }
static int __stdcall StreamRead(Stream *s, void *buffer, int count, int *read)
{
    long long n = s->size - s->position < count ? s->size - s->position : count;
    if (n < 0) n = 0;
    memcpy(buffer, s->data + s->position, (size_t)n); s->position += n;
    if (read) *read = (int)n;
    return 0;
}
static int __stdcall StreamWrite(Stream *s, void *buffer, int count, int *written)
{
    if (s->position + count > s->capacity) {
        s->capacity = (s->position + count) * 2;
        s->data = realloc(s->data, (size_t)s->capacity);
    }
    memcpy(s->data + s->position, buffer, (size_t)count); s->position += count;
    if (s->position > s->size) s->size = s->position;
    if (written) *written = count;
    return 0;
}
static int __stdcall StreamSeek(Stream *s, long long pos, int mode, long long *result)
{
    long long target = mode == 0 ? pos : mode == 1 ? s->position + pos : s->size + pos;
    if (target < 0) return 1;
    s->position = target;
    if (result) *result = target;
    return 0;
}
static int __stdcall StreamTell(Stream *s, long long *pos) { *pos = s->position; return 0; }
static void *StreamVtbl[] = { StreamQueryInterface, StreamAddRef, StreamRelease, StreamRead, StreamWrite, StreamSeek, StreamTell };

typedef struct { char cid[16]; int cardinality; char category[32]; char name[64]; } PClassInfo;
typedef struct { char vendor[64]; char url[256]; char email[128]; int flags; } PFactoryInfo;
typedef struct FactoryVtbl {
    void *queryInterface, *addRef;
    unsigned (__stdcall *release)(void *self);
    int (__stdcall *getFactoryInfo)(void *self, PFactoryInfo *info);
    int (__stdcall *countClasses)(void *self);
    int (__stdcall *getClassInfo)(void *self, int index, PClassInfo *info);
} FactoryVtbl;
typedef struct { FactoryVtbl *vtbl; } Factory;

int main(int argc, char **argv)
{
    if (argc != 2) { fprintf(stderr, "usage: vst3-probe MODULE\n"); return 2; }
    HMODULE module = LoadLibraryA(argv[1]);
    if (!module) { printf("loadlibrary-error %lu\n", GetLastError()); return 1; }
    BOOL (*initDll)(void) = (BOOL (*)(void))GetProcAddress(module, "InitDll");
    BOOL (*exitDll)(void) = (BOOL (*)(void))GetProcAddress(module, "ExitDll");
    Factory *(*getFactory)(void) = (Factory *(*)(void))GetProcAddress(module, "GetPluginFactory");
    if (!initDll || !exitDll || !getFactory) { printf("missing-export\n"); return 1; }
    printf("initdll %d\n", initDll());
    Factory *factory = getFactory();
    if (!factory) { printf("no-factory\n"); return 1; }
    PFactoryInfo info;
    if (factory->vtbl->getFactoryInfo(factory, &info) == 0) printf("vendor %s\n", info.vendor);
    int count = factory->vtbl->countClasses(factory);
    printf("classes %d\n", count);
    for (int i = 0; i < count; i++) {
        PClassInfo c;
        if (factory->vtbl->getClassInfo(factory, i, &c) != 0) { printf("class-error %d\n", i); return 1; }
        printf("class ");
        for (int b = 0; b < 16; b++) printf("%02X", (unsigned char)c.cid[b]);
        printf(" %s|%s\n", c.category, c.name);
    }

    /* Host the first class, the audio processor, as a DAW would. */
    PClassInfo processorClass;
    factory->vtbl->getClassInfo(factory, 0, &processorClass);
    Object component = NULL, processor = NULL;
    int (__stdcall *createInstance)(void *, const char *, const GUID *, void **) = ((void **)factory->vtbl)[6];
    printf("createinstance %d\n", createInstance(factory, processorClass.cid, &IID_IComponent, (void **)&component));
    if (!component) return 1;
    printf("initialize %d\n", SLOT(component, 3, int (__stdcall *)(void *, void *))(component, NULL));
    printf("audioprocessor %d\n", SLOT(component, 0, int (__stdcall *)(void *, const GUID *, void **))(component, &IID_IAudioProcessor, (void **)&processor));
    if (!processor) return 1;
    ProcessSetup setup = { 0, 0, 512, 48000.0 };
    printf("setupprocessing %d\n", SLOT(processor, 7, int (__stdcall *)(void *, ProcessSetup *))(processor, &setup));
    printf("setactive %d\n", SLOT(component, 11, int (__stdcall *)(void *, unsigned char))(component, 1));
    printf("setprocessing %d\n", SLOT(processor, 8, int (__stdcall *)(void *, unsigned char))(processor, 1));

    enum { Frames = 512 };
    static float inL[Frames], inR[Frames], outL[Frames], outR[Frames];
    for (int i = 0; i < Frames; i++) { inL[i] = 0.25f * sinf(6.2831853f * 440.0f * i / 48000.0f); inR[i] = -inL[i]; outL[i] = outR[i] = 9.0f; }
    float *inChannels[2] = { inL, inR }, *outChannels[2] = { outL, outR };
    AudioBusBuffers input = { 2, 0, inChannels }, output = { 2, 0, outChannels };
    ProcessData data = { 0, 0, Frames, 1, 1, &input, &output, NULL, NULL, NULL, NULL, NULL };
    int processed = SLOT(processor, 9, int (__stdcall *)(void *, ProcessData *))(processor, &data);
    double difference = 0;
    for (int i = 0; i < Frames; i++) difference = fmax(difference, fmax(fabs(outL[i] - inL[i]), fabs(outR[i] - inR[i])));
    printf("process %d difference %g\n", processed, difference);

    Stream saved = { StreamVtbl, NULL, 0, 0, 0 }, again = { StreamVtbl, NULL, 0, 0, 0 };
    int got = SLOT(component, 13, int (__stdcall *)(void *, void *))(component, &saved);
    saved.position = 0;
    int set = SLOT(component, 12, int (__stdcall *)(void *, void *))(component, &saved);
    int gotAgain = SLOT(component, 13, int (__stdcall *)(void *, void *))(component, &again);
    printf("state %d %d %d bytes %lld same %d\n", got, set, gotAgain, saved.size,
           saved.size == again.size && saved.size > 0 && memcmp(saved.data, again.data, (size_t)saved.size) == 0);

    printf("teardown %d %d %d\n", SLOT(processor, 8, int (__stdcall *)(void *, unsigned char))(processor, 0),
           SLOT(component, 11, int (__stdcall *)(void *, unsigned char))(component, 0),
           SLOT(component, 4, int (__stdcall *)(void *))(component));
    SLOT(processor, 2, unsigned (__stdcall *)(void *))(processor);
    printf("released %u\n", SLOT(component, 2, unsigned (__stdcall *)(void *))(component));
    factory->vtbl->release(factory);
    printf("exitdll %d\n", exitDll());
    fflush(stdout);
    return 0;
}
