/* The builder's progress reporter asks these of a JDK-side library (terminal width, peak RSS). */
#include <jni.h>
#include <sys/resource.h>
#include <sys/ioctl.h>
#include <unistd.h>
JNIEXPORT jint JNICALL Java_com_oracle_svm_hosted_ProgressReporterCHelper_getTerminalWindowColumns0(JNIEnv *e, jclass c) {
  struct winsize w; if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0) return w.ws_col; return -1; }
JNIEXPORT jlong JNICALL Java_com_oracle_svm_hosted_ProgressReporterCHelper_getPeakRSS0(JNIEnv *e, jclass c) {
  struct rusage r; if (getrusage(RUSAGE_SELF, &r) == 0) return (jlong)r.ru_maxrss * 1024; return -1; }
