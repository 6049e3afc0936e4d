/* The pieces of the MSVC C runtime (vcruntime/LIBCMT startup objects) that NativeAOT's Windows runtime
   libraries expect from the linker's default libraries, for linking Stage.dll with lld-link on Linux where
   the MSVC toolset is not available (WindowsLink.targets). Everything else comes from the Windows SDK's
   import libraries and the UCRT (ucrt.lib: malloc, free, ...) and from ntdll.dll (ntdll.def).
   - section markers: the linker sorts .CRT$X?A < .CRT$X?U < .CRT$X?Z, so the entries MSVC-compiled
     objects put between them are the C initializers (XI), C++ constructors (XC), pre-terminators (XP),
     terminators (XT), TLS callbacks (XL) and dynamic TLS initializers (XD);
   - _tls_used: the IMAGE_TLS_DIRECTORY the linker points the PE header at; without it every
     __declspec(thread) variable of the runtime would silently share one copy;
   - _DllMainCRTStartup: the entry point; runs the initializers, then the runtime's own DllMain. */
#include <windows.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- sections the MSVC-compiled runtime puts its initializers in ---- */
typedef void (__cdecl *PVFV)(void);
typedef int (__cdecl *PIFV)(void);
__attribute__((section(".CRT$XIA"), used)) PIFV __xi_a[] = { 0 };
__attribute__((section(".CRT$XIZ"), used)) PIFV __xi_z[] = { 0 };
__attribute__((section(".CRT$XCA"), used)) PVFV __xc_a[] = { 0 };
__attribute__((section(".CRT$XCZ"), used)) PVFV __xc_z[] = { 0 };
__attribute__((section(".CRT$XPA"), used)) PVFV __xp_a[] = { 0 };
__attribute__((section(".CRT$XPZ"), used)) PVFV __xp_z[] = { 0 };
__attribute__((section(".CRT$XTA"), used)) PVFV __xt_a[] = { 0 };
__attribute__((section(".CRT$XTZ"), used)) PVFV __xt_z[] = { 0 };
__attribute__((section(".CRT$XDA"), used)) PVFV __xd_a[] = { 0 };
__attribute__((section(".CRT$XDZ"), used)) PVFV __xd_z[] = { 0 };

/* ---- TLS directory ---- */
ULONG _tls_index = 0;
__attribute__((section(".tls"), used)) char _tls_start = 0;
__attribute__((section(".tls$ZZZ"), used)) char _tls_end = 0;
__attribute__((section(".tls$"), used)) char __tls_guard = 0;
void NTAPI __dyn_tls_init(PVOID module, DWORD reason, PVOID reserved);
__attribute__((section(".CRT$XLA"), used)) PIMAGE_TLS_CALLBACK __xl_a = 0;
__attribute__((section(".CRT$XLC"), used)) PIMAGE_TLS_CALLBACK __xl_c = __dyn_tls_init;
__attribute__((section(".CRT$XLZ"), used)) PIMAGE_TLS_CALLBACK __xl_z = 0;
__attribute__((section(".rdata$T"), used)) const IMAGE_TLS_DIRECTORY64 _tls_used = {
    (ULONGLONG)&_tls_start, (ULONGLONG)&_tls_end, (ULONGLONG)&_tls_index, (ULONGLONG)(&__xl_a + 1), 0, 0 };

static char *thread_tls_guard(void)
{
    char **blocks;
    __asm__("movq %%gs:0x58, %0" : "=r"(blocks)); /* TEB.ThreadLocalStoragePointer */
    return blocks[_tls_index] + (&__tls_guard - &_tls_start);
}

void NTAPI __dyn_tls_init(PVOID module, DWORD reason, PVOID reserved)
{
    (void)module; (void)reserved;
    if (reason != DLL_THREAD_ATTACH && reason != DLL_PROCESS_ATTACH) return;
    char *guard = thread_tls_guard();
    if (*guard) return;
    *guard = 1;
    for (PVFV *f = __xd_a + 1; f < __xd_z; f++) if (*f) (*f)();
}

void __cdecl __dyn_tls_on_demand_init(void) { __dyn_tls_init(NULL, DLL_THREAD_ATTACH, NULL); }

/* ---- /GS ---- */
uintptr_t __security_cookie = 0x00002B992DDFA232ull;
void __cdecl __security_check_cookie(uintptr_t cookie)
{
    if (cookie != __security_cookie) __asm__ volatile("int $0x29" :: "c"(2)); /* __fastfail(FAST_FAIL_STACK_COOKIE_CHECK_FAILURE) */
}
static void security_init_cookie(void)
{
    FILETIME time; LARGE_INTEGER counter;
    GetSystemTimePreciseAsFileTime(&time);
    QueryPerformanceCounter(&counter);
    uintptr_t cookie = ((uintptr_t)time.dwHighDateTime << 32 | time.dwLowDateTime) ^ GetCurrentThreadId() ^ ((uintptr_t)GetCurrentProcessId() << 32)
        ^ ((uintptr_t)counter.QuadPart << 32) ^ (uintptr_t)counter.QuadPart ^ (uintptr_t)&cookie;
    cookie &= 0x0000FFFFFFFFFFFFull;
    if (cookie == 0x00002B992DDFA232ull) cookie++;
    __security_cookie = cookie;
}
/* The unwinder calls this for frames of /GS functions that also have exception handlers; MSVC's version
   re-checks that frame's cookie first. The check is left to __security_check_cookie on the normal return
   path: unwinding through a frame then skips one hardening check, nothing else changes. */
EXCEPTION_DISPOSITION __cdecl __GSHandlerCheck(PEXCEPTION_RECORD record, PVOID frame, PCONTEXT context, PVOID dispatcher)
{
    (void)record; (void)frame; (void)context; (void)dispatcher;
    return ExceptionContinueSearch;
}

/* ---- CFG off: the dispatch target is called as is ---- */
__asm__(".text\n.globl stage_guard_dispatch_nop\nstage_guard_dispatch_nop:\n\tjmp *%rax\n");
extern void stage_guard_dispatch_nop(void);
void *__guard_dispatch_icall_fptr = (void *)stage_guard_dispatch_nop;

int _fltused = 0x9875;

/* ---- atexit, run at unload ---- */
static PVFV *exit_functions; static size_t exit_count, exit_capacity;
static SRWLOCK exit_lock = SRWLOCK_INIT;
int __cdecl atexit(PVFV function)
{
    AcquireSRWLockExclusive(&exit_lock);
    if (exit_count == exit_capacity) {
        size_t capacity = exit_capacity ? exit_capacity * 2 : 32;
        PVFV *grown = realloc(exit_functions, capacity * sizeof *grown);
        if (!grown) { ReleaseSRWLockExclusive(&exit_lock); return -1; }
        exit_functions = grown; exit_capacity = capacity;
    }
    exit_functions[exit_count++] = function;
    ReleaseSRWLockExclusive(&exit_lock);
    return 0;
}

/* ---- C++ allocation the runtime uses (MSVC-mangled names, given to the assembler quoted) ---- */
const char stage_nothrow = 0;
static void *new_nothrow(size_t n, const void *t) { (void)t; return malloc(n ? n : 1); }
static void delete_sized(void *p, size_t n) { (void)n; free(p); }
static void delete_array(void *p) { free(p); }
__asm__(
    ".globl \"??2@YAPEAX_KAEBUnothrow_t@std@@@Z\"\n.set \"??2@YAPEAX_KAEBUnothrow_t@std@@@Z\", new_nothrow\n"
    ".globl \"??_U@YAPEAX_KAEBUnothrow_t@std@@@Z\"\n.set \"??_U@YAPEAX_KAEBUnothrow_t@std@@@Z\", new_nothrow\n"
    ".globl \"??3@YAXPEAX_K@Z\"\n.set \"??3@YAXPEAX_K@Z\", delete_sized\n"
    ".globl \"??_V@YAXPEAX@Z\"\n.set \"??_V@YAXPEAX@Z\", delete_array\n"
    ".globl \"?nothrow@std@@3Unothrow_t@1@B\"\n.set \"?nothrow@std@@3Unothrow_t@1@B\", stage_nothrow\n");
__attribute__((used)) static void *keep[] = { (void *)new_nothrow, (void *)delete_sized, (void *)delete_array };

/* ---- the DLL's entry point ---- */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved);
BOOL WINAPI _DllMainCRTStartup(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    if (reason == DLL_PROCESS_ATTACH) {
        security_init_cookie();
        for (PIFV *f = __xi_a + 1; f < __xi_z; f++) if (*f && (*f)() != 0) return FALSE;
        for (PVFV *f = __xc_a + 1; f < __xc_z; f++) if (*f) (*f)();
    }
    BOOL result = DllMain(instance, reason, reserved);
    if (reason == DLL_PROCESS_DETACH) {
        while (exit_count > 0) exit_functions[--exit_count]();
        for (PVFV *f = __xp_a + 1; f < __xp_z; f++) if (*f) (*f)();
        for (PVFV *f = __xt_a + 1; f < __xt_z; f++) if (*f) (*f)();
    }
    return result;
}

/* ---- fatal paths: end the process at once, as the MSVC runtime does ---- */
int __cdecl _purecall(void) { __asm__ volatile("int $0x29" :: "c"(7)); return 0; } /* FAST_FAIL_FATAL_APP_EXIT */
void __cdecl __report_rangecheckfailure(void) { __asm__ volatile("int $0x29" :: "c"(8)); } /* FAST_FAIL_RANGE_CHECK_FAILURE */
