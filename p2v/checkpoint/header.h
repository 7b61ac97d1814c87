/* The header ("HDR0") and end ("END0") sections of a checkpoint file. */
#ifndef SHEER_P2V_CHECKPOINT_HEADER_H
#define SHEER_P2V_CHECKPOINT_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "p2v/checkpoint/checkpoint.h"
#include "vmm/machine/state.h"

#define CHECKPOINT_HEADER_TYPE STATE_TYPE('H', 'D', 'R', '0')
#define CHECKPOINT_END_TYPE STATE_TYPE('E', 'N', 'D', '0')
#define CHECKPOINT_SECTION_VERSION 1
#define CHECKPOINT_PROGRESS_EVERY (64ULL << 20)	/* how often writing and reading report progress */

/* What END0 records: the sections and bytes before it, magic included. */
struct checkpoint_end {
	uint64_t sections;
	uint64_t bytes;
};

void checkpoint_header_encode(const struct checkpoint_info *info, struct state_writer *w);
/* -EBADMSG for a malformed payload; a newer format version decodes (the caller refuses it by name). */
int checkpoint_header_decode(const void *payload, size_t len, struct checkpoint_info *info);
void checkpoint_end_encode(const struct checkpoint_end *end, struct state_writer *w);
int checkpoint_end_decode(const void *payload, size_t len, struct checkpoint_end *end);

#endif
