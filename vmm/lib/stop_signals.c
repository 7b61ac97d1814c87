#include <pthread.h>

#include "vmm/lib/stop_signals.h"

void stop_signals_block(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, stop, NULL);
}

int stop_signals_wait(const sigset_t *stop)
{
	int signal_number;

	while (sigwait(stop, &signal_number) != 0)
		;
	return signal_number;
}
