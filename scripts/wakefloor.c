// wakefloor: the CPU one thread's sleep and wake-up costs on this machine,
// without Go's runtime: a loop that waits for absolute deadlines RATE times
// a second, by clock_nanosleep or a blocking timerfd read, and reports the
// process's CPU (getrusage) per wake-up and the lag behind each deadline.
// It is the floor under BenchmarkWakeFloor and BenchmarkHarnessCPU
// (docs/benchmarks.md, "The generator's own CPU").
//
//   cc -O2 -o /tmp/wakefloor scripts/wakefloor.c
//   /tmp/wakefloor nanosleep|timerfd RATE SECONDS
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static double cpu_us(void) {
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return r.ru_utime.tv_sec * 1e6 + r.ru_utime.tv_usec + r.ru_stime.tv_sec * 1e6 + r.ru_stime.tv_usec;
}

static int64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv) {
	if (argc != 4 || (strcmp(argv[1], "nanosleep") && strcmp(argv[1], "timerfd")) || atoi(argv[2]) < 1 || atof(argv[3]) <= 0) {
		fprintf(stderr, "usage: %s nanosleep|timerfd RATE(>=1) SECONDS(>0)\n", argv[0]);
		return 2;
	}
	int timerfd = !strcmp(argv[1], "timerfd");
	long rate = atol(argv[2]), n = (long)(rate * atof(argv[3]));
	int64_t gap = 1000000000LL / rate, next = now_ns() + gap;
	int64_t *lag = malloc(sizeof(int64_t) * n);
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	if (!lag || fd < 0) {
		perror("wakefloor");
		return 1;
	}
	double c0 = cpu_us();
	for (long i = 0; i < n; i++, next += gap) {
		struct timespec at = {next / 1000000000LL, next % 1000000000LL};
		if (timerfd) {
			struct itimerspec s = {{0, 0}, at};
			uint64_t x;
			if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL) || read(fd, &x, sizeof x) != sizeof x) {
				perror("wakefloor: timerfd");
				return 1;
			}
		} else {
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL))
				;
		}
		lag[i] = now_ns() - next;
	}
	double c1 = cpu_us();
	qsort(lag, n, sizeof lag[0], cmp64);
	printf("wakefloor %s rate=%ld wakes=%ld cpu-us/wake=%.2f lag-p50-us=%.1f lag-p99-us=%.1f early=%s\n", argv[1], rate, n,
	       (c1 - c0) / n, lag[n / 2] / 1e3, lag[(long)(n * 0.99)] / 1e3, lag[0] < 0 ? "yes" : "no");
	return 0;
}
