#include <errno.h>
#include <sched.h>

#include "vmm/lib/thread.h"

/*
 * glibc's default 8 MiB stacks are 2 MiB aligned often enough that a host
 * with transparent huge pages "always" backs a touched one with a 2 MiB page:
 * measured in the lab, one vCPU stack alone was 2 MiB of sheer's resident
 * memory. No thread of sheer needs more than a few KiB (ASan frames included);
 * 512 KiB cannot hold a huge page.
 */
#define THREAD_STACK_SIZE (512 * 1024)

int thread_start(pthread_t *thread, void *(*fn)(void *), void *arg, int host_cpu)
{
	pthread_attr_t attr;
	int ret;

	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	if (ret == 0 && host_cpu >= 0) {
		cpu_set_t set;

		if (host_cpu >= CPU_SETSIZE) {
			pthread_attr_destroy(&attr);
			return -EINVAL;
		}
		CPU_ZERO(&set);
		CPU_SET(host_cpu, &set);
		ret = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	if (ret == 0)
		ret = pthread_create(thread, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -ret;
}
