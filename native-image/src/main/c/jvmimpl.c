/* The JVM_* and jio_* functions a native image reaches through Temurin's libjava/libnio/libnet/libzip.
 * scripts/build-native adds an abort() stub for every other JVM_* symbol those libraries bind, so an
 * unimplemented JDK path dies loudly ("stub libjvm: NAME called") instead of misbehaving.
 * Adapted from ../shared/native-image/jvmimpl.c. */
#define _GNU_SOURCE
#include <jni.h>
#include <unistd.h>
#include <stdlib.h>
#include <time.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sys/time.h>
int JVM_ActiveProcessorCount(void) { return (int) sysconf(_SC_NPROCESSORS_ONLN); }
jlong JVM_NanoTime(JNIEnv *e, jclass c) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return (jlong)t.tv_sec*1000000000LL + t.tv_nsec; }
jlong JVM_CurrentTimeMillis(JNIEnv *e, jclass c) { struct timeval t; gettimeofday(&t, NULL); return (jlong)t.tv_sec*1000 + t.tv_usec/1000; }
char *JVM_NativePath(char *p) { return p; }
void *JVM_RawMonitorCreate(void) { pthread_mutex_t *m = malloc(sizeof *m); pthread_mutex_init(m, NULL); return m; }
void JVM_RawMonitorDestroy(void *m) { pthread_mutex_destroy(m); free(m); }
jint JVM_RawMonitorEnter(void *m) { return pthread_mutex_lock(m); }
void JVM_RawMonitorExit(void *m) { pthread_mutex_unlock(m); }
void *JVM_FindLibraryEntry(void *h, const char *n) { return dlsym(h, n); }
void JVM_BeforeHalt(void) {}
void JVM_Halt(jint code) { _exit(code); }
#include <stdarg.h>
#include <stdio.h>
int jio_vsnprintf(char *s, size_t n, const char *f, va_list a) { return vsnprintf(s, n, f, a); }
int jio_snprintf(char *s, size_t n, const char *f, ...) { va_list a; va_start(a, f); int r = vsnprintf(s, n, f, a); va_end(a); return r; }
int jio_vfprintf(FILE *o, const char *f, va_list a) { return vfprintf(o, f, a); }
int jio_fprintf(FILE *o, const char *f, ...) { va_list a; va_start(a, f); int r = vfprintf(o, f, a); va_end(a); return r; }
