/* vst3-probe MODULE: loads a VST3 module the way a Windows host does (LoadLibrary, InitDll,
   GetPluginFactory, ExitDll) and prints one "key value" line per fact for Stage.Windows.Tests.
   Compiled by the tests with mingw-w64 and run under Wine; never shipped. */
#include <windows.h>
#include <stdio.h>

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
    factory->vtbl->release(factory);
    printf("exitdll %d\n", exitDll());
    fflush(stdout);
    return 0;
}
