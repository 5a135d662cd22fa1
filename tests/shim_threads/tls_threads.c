/* A TLS-heavy plain C program: each thread keeps state in __thread variables, errno and a pthread
 * key across blocking calls (usleep, nanosleep, a read on a pipe that a neighbour fills), with
 * addresses of its TLS taken once and used after every call (-O2). Prints the same lines under
 * any scheduling; on stderr, how often each thread found itself on a different OS thread (kernel
 * tid) after a blocking call: that is migration, under grove-run --threads fibers. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 8
#define ROUNDS 300

__thread int t_counter = 7;   /* .tdata */
__thread char t_name[32];     /* .tbss */
__thread long t_history[64];

static pthread_key_t g_key;
static int g_pipes[NTHREADS][2];
static int g_destructor_runs;
static pthread_mutex_t g_destructor_mu = PTHREAD_MUTEX_INITIALIZER;

struct result {
  long sum;
  int errno_bad, tls_bad, key_bad, io_bad, tid_changes;
};
static struct result g_results[NTHREADS];

static void key_destructor(void *value) {
  (void)value;
  pthread_mutex_lock(&g_destructor_mu);
  ++g_destructor_runs;
  pthread_mutex_unlock(&g_destructor_mu);
}

static void block_once(int id, int round) {
  struct result *r = &g_results[id];
  switch (round % 3) {
    case 0:
      if (usleep(300) != 0) ++r->io_bad;
      break;
    case 1: {
      /* Hand a byte to the right neighbour, then wait for the left one's. */
      char out = (char)('a' + id), in = 0;
      if (write(g_pipes[(id + 1) % NTHREADS][1], &out, 1) != 1) ++r->io_bad;
      if (read(g_pipes[id][0], &in, 1) != 1 || in != (char)('a' + (id + NTHREADS - 1) % NTHREADS)) ++r->io_bad;
      break;
    }
    default: {
      struct timespec ts = {0, 200000};
      if (nanosleep(&ts, NULL) != 0) ++r->io_bad;
    }
  }
}

static void *worker(void *arg) {
  const int id = (int)(intptr_t)arg;
  struct result *r = &g_results[id];
  int *my_errno = &errno;        /* cached: must stay this thread's errno */
  int *my_counter = &t_counter;  /* cached TLS address */
  char expected_name[32];
  if (t_counter != 7 || t_name[0] != 0) ++r->tls_bad;
  snprintf(t_name, sizeof t_name, "worker-%d", id);
  snprintf(expected_name, sizeof expected_name, "worker-%d", id);
  pthread_setspecific(g_key, r);
  long last_tid = syscall(SYS_gettid);
  for (int round = 0; round < ROUNDS; ++round) {
    *my_counter += id + round;
    t_history[round % 64] = *my_counter;
    const int mark = 1000 + id * ROUNDS + round;
    errno = mark;
    block_once(id, round);
    if (errno != mark || *my_errno != mark) ++r->errno_bad;
    if (*my_counter != t_counter || strcmp(t_name, expected_name) != 0 || t_history[round % 64] != t_counter) ++r->tls_bad;
    if (pthread_getspecific(g_key) != r) ++r->key_bad;
    long tid = syscall(SYS_gettid);
    if (tid != last_tid) {
      ++r->tid_changes;
      last_tid = tid;
    }
  }
  for (int i = 0; i < 64; ++i) r->sum += t_history[i];
  r->sum += t_counter;
  return (void *)(intptr_t)(id * 10);
}

int main(void) {
  pthread_t threads[NTHREADS];
  if (pthread_key_create(&g_key, key_destructor) != 0) return 1;
  for (int i = 0; i < NTHREADS; ++i) {
    if (pipe(g_pipes[i]) != 0) return 1;
  }
  t_counter = 99; /* the main thread's copy only */
  for (int i = 0; i < NTHREADS; ++i) {
    if (pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i) != 0) return 1;
  }
  int total_changes = 0;
  for (int i = 0; i < NTHREADS; ++i) {
    void *ret = NULL;
    if (pthread_join(threads[i], &ret) != 0) return 1;
    const struct result *r = &g_results[i];
    printf("thread %d: returned %ld sum=%ld errno_bad=%d tls_bad=%d key_bad=%d io_bad=%d\n", i, (long)(intptr_t)ret,
           r->sum, r->errno_bad, r->tls_bad, r->key_bad, r->io_bad);
    total_changes += r->tid_changes;
  }
  printf("main: t_counter=%d key destructors=%d\n", t_counter, g_destructor_runs);
  fprintf(stderr, "tid changes: %d\n", total_changes);
  return 0;
}
