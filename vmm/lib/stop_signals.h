/* How sheer's daemons (the exporter, the agent) wait to be told to stop: SIGINT or SIGTERM, taken by sigwait. */
#ifndef SHEER_VMM_LIB_STOP_SIGNALS_H
#define SHEER_VMM_LIB_STOP_SIGNALS_H

#include <signal.h>

/* Block SIGINT and SIGTERM in the calling thread before it starts any other, so that they inherit the mask. */
void stop_signals_block(sigset_t *stop);
/* Wait for one of them; its number. */
int stop_signals_wait(const sigset_t *stop);

#endif
