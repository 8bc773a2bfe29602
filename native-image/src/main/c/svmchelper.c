/* SubstrateVM C helpers and JNI_OnLoad_<lib> entry points that a GraalVM distribution ships as
 * static libraries but no registry here does (scripts/build-native links this as liblibchelper.a
 * when it assembles the builder from Maven Central). Signals for sun.misc.Signal, a fixed "en"
 * locale, TZ from $TZ else UTC, no CPU features beyond the build baseline (-march=compatibility),
 * "not containerized". Adapted from ../shared/native-image/chelper.c. */
#define _GNU_SOURCE
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <semaphore.h>
#include <stdbool.h>
#include <unistd.h>
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
/* --- sun.misc.Signal support --- */
static sem_t sig_sem; static volatile int pending[NSIG];
int cSunMiscSignal_open(void) { memset((void*)pending, 0, sizeof pending); return sem_init(&sig_sem, 0, 0); }
int cSunMiscSignal_close(void) { return sem_destroy(&sig_sem); }
int cSunMiscSignal_awaitSemaphore(void) { while (sem_wait(&sig_sem) == -1) { if (errno != EINTR) return -1; } return 0; }
int cSunMiscSignal_signalSemaphore(void) { return sem_post(&sig_sem); }
bool cSunMiscSignal_signalRangeCheck(int s) { return s > 0 && s < NSIG; }
int cSunMiscSignal_checkPendingSignal(void) {
  for (int s = 1; s < NSIG; s++) { int v = pending[s]; if (v > 0 && __sync_bool_compare_and_swap(&pending[s], v, v - 1)) return s; }
  return -1; }
static void sig_handler(int s) { if (s > 0 && s < NSIG) { __sync_fetch_and_add(&pending[s], 1); sem_post(&sig_sem); } }
void *cSunMiscSignal_signalHandlerFunctionPointer(void) { return (void*) sig_handler; }
/* --- misc libc wrappers --- */
int fprintfSD(FILE *f, const char *fmt, const char *s, int d) { return fprintf(f, fmt, s, d); }
int openSII(const char *p, int flags, int mode) { return open(p, flags, mode); }
void *mremapP(void *old, size_t os, size_t ns, int flags, void *na) { return mremap(old, os, ns, flags, na); }
int getThreadId(void) { return (int) syscall(SYS_gettid); }
char *SVM_FindJavaTZmd(const char *maps, int len) { const char *tz = getenv("TZ"); return strdup(tz && *tz ? (tz[0]==':' ? tz+1 : tz) : "UTC"); }
/* --- locale --- */
typedef struct { char *fl, *fs, *fc, *fv, *dl, *ds, *dc, *dv; } svm_locale_props_t;
static svm_locale_props_t loc;
int svm_initialize_locale(void) { loc.fl = loc.dl = "en"; loc.fs = loc.ds = ""; loc.fc = loc.dc = ""; loc.fv = loc.dv = ""; return 1; }
svm_locale_props_t *svm_get_locale(void) { return &loc; }
/* --- CPU features: report none beyond the build baseline --- */
void determineCPUFeatures(void *features) { (void) features; }
int checkCPUFeatures(const char *mask) { return 0; }
int checkCPUFeaturesOrExit(const char *mask, const char *msg) { return 0; }
/* --- libjvm shim --- */
void initialize(void) {}
/* --- JNI_OnLoad_<lib> for JDK libraries linked as shared objects --- */
static jint onload(const char *lib, JavaVM *vm, void *r) {
  void *h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD); if (!h) return JNI_VERSION_1_8;
  jint (*f)(JavaVM *, void *) = (jint (*)(JavaVM *, void *)) dlsym(h, "JNI_OnLoad");
  jint v = f ? f(vm, r) : JNI_VERSION_1_8; return v < JNI_VERSION_1_8 ? JNI_VERSION_1_8 : v; }
jint JNI_OnLoad_java(JavaVM *vm, void *r) { return onload("libjava.so", vm, r); }
jint JNI_OnLoad_nio(JavaVM *vm, void *r) { return onload("libnio.so", vm, r); }
jint JNI_OnLoad_net(JavaVM *vm, void *r) { return onload("libnet.so", vm, r); }
jint JNI_OnLoad_zip(JavaVM *vm, void *r) { return onload("libzip.so", vm, r); }
jint JNI_OnLoad_extnet(JavaVM *vm, void *r) { return onload("libextnet.so", vm, r); } /* jdk.net socket options (NIO sockets) */
/* --- container support: report "not containerized" --- */
int svm_container_initialize(int version) { return 0; }
size_t svm_container_physical_memory(void) { return (size_t) sysconf(_SC_PHYS_PAGES) * (size_t) sysconf(_SC_PAGESIZE); }
int svm_container_active_processor_count(void) { return (int) sysconf(_SC_NPROCESSORS_ONLN); }
