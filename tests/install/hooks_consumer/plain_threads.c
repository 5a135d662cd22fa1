/* Knows nothing of grove. Prints whether libgrove_preload.so is loaded, and how many distinct
 * kernel threads ran its four pthreads (under grove-run --threads fibers --workers 1: one). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long tids[4];

static void* body(void* arg) {
  long* slot = arg;
  usleep(50000);
  *slot = syscall(SYS_gettid);
  return NULL;
}

static int shim_loaded(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  if (!maps) return 0;
  while (fgets(line, sizeof line, maps)) {
    if (strstr(line, "/libgrove_preload.so")) found = 1;
  }
  fclose(maps);
  return found;
}

int main(void) {
  pthread_t t[4];
  for (int i = 0; i < 4; ++i) pthread_create(&t[i], NULL, body, &tids[i]);
  for (int i = 0; i < 4; ++i) pthread_join(t[i], NULL);
  int distinct = 0;
  for (int i = 0; i < 4; ++i) {
    int seen = 0;
    for (int j = 0; j < i; ++j) seen |= tids[j] == tids[i];
    distinct += !seen;
  }
  printf("shim=%s kernel_threads=%d\n", shim_loaded() ? "yes" : "no", distinct);
  return 0;
}
