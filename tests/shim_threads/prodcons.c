/* Producer-consumer on pthread mutex + condition variables (bounded buffer), with a barrier at
 * the start, a rwlock-protected statistic and a semaphore counting finished producers. Output
 * depends only on the data, never on scheduling. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define PRODUCERS 4
#define CONSUMERS 3
#define ITEMS 20000 /* per producer */
#define CAPACITY 16

static int g_buffer[CAPACITY];
static int g_head, g_count, g_producers_left = PRODUCERS;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_not_empty = PTHREAD_COND_INITIALIZER, g_not_full = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t g_start;
static pthread_rwlock_t g_stats_lock = PTHREAD_RWLOCK_INITIALIZER;
static long g_max_seen;
static sem_t g_producers_done;

struct consumer_result {
  long sum, items, order_errors;
  int last[PRODUCERS];
};
static struct consumer_result g_consumers[CONSUMERS];

static void *producer(void *arg) {
  const int id = (int)(intptr_t)arg;
  pthread_barrier_wait(&g_start);
  for (int i = 0; i < ITEMS; ++i) {
    pthread_mutex_lock(&g_mu);
    while (g_count == CAPACITY) pthread_cond_wait(&g_not_full, &g_mu);
    g_buffer[(g_head + g_count) % CAPACITY] = id * ITEMS + i;
    ++g_count;
    pthread_cond_signal(&g_not_empty);
    pthread_mutex_unlock(&g_mu);
  }
  pthread_mutex_lock(&g_mu);
  --g_producers_left;
  pthread_cond_broadcast(&g_not_empty);
  pthread_mutex_unlock(&g_mu);
  sem_post(&g_producers_done);
  return NULL;
}

static void *consumer(void *arg) {
  struct consumer_result *r = &g_consumers[(intptr_t)arg];
  for (int p = 0; p < PRODUCERS; ++p) r->last[p] = -1;
  pthread_barrier_wait(&g_start);
  for (;;) {
    pthread_mutex_lock(&g_mu);
    while (g_count == 0 && g_producers_left > 0) pthread_cond_wait(&g_not_empty, &g_mu);
    if (g_count == 0) {
      pthread_mutex_unlock(&g_mu);
      break;
    }
    const int v = g_buffer[g_head];
    g_head = (g_head + 1) % CAPACITY;
    --g_count;
    pthread_cond_signal(&g_not_full);
    pthread_mutex_unlock(&g_mu);
    const int p = v / ITEMS, seq = v % ITEMS;
    if (seq <= r->last[p]) ++r->order_errors; /* each producer's items arrive in order */
    r->last[p] = seq;
    r->sum += v;
    ++r->items;
    pthread_rwlock_rdlock(&g_stats_lock);
    const int bigger = v > g_max_seen;
    pthread_rwlock_unlock(&g_stats_lock);
    if (bigger) {
      pthread_rwlock_wrlock(&g_stats_lock);
      if (v > g_max_seen) g_max_seen = v;
      pthread_rwlock_unlock(&g_stats_lock);
    }
  }
  return NULL;
}

int main(void) {
  pthread_t threads[PRODUCERS + CONSUMERS];
  pthread_barrier_init(&g_start, NULL, PRODUCERS + CONSUMERS);
  sem_init(&g_producers_done, 0, 0);
  for (int i = 0; i < CONSUMERS; ++i) pthread_create(&threads[i], NULL, consumer, (void *)(intptr_t)i);
  for (int i = 0; i < PRODUCERS; ++i) pthread_create(&threads[CONSUMERS + i], NULL, producer, (void *)(intptr_t)i);
  for (int i = 0; i < PRODUCERS; ++i) sem_wait(&g_producers_done);
  for (int i = 0; i < PRODUCERS + CONSUMERS; ++i) pthread_join(threads[i], NULL);
  long items = 0, sum = 0, order_errors = 0;
  for (int i = 0; i < CONSUMERS; ++i) {
    items += g_consumers[i].items;
    sum += g_consumers[i].sum;
    order_errors += g_consumers[i].order_errors;
  }
  const long n = (long)PRODUCERS * ITEMS;
  printf("items=%ld (expected %ld) sum=%ld (expected %ld) order_errors=%ld max=%ld\n", items, n, sum, n * (n - 1) / 2,
         order_errors, g_max_seen);
  pthread_barrier_destroy(&g_start);
  sem_destroy(&g_producers_done);
  return items == n && sum == n * (n - 1) / 2 && order_errors == 0 ? 0 : 1;
}
