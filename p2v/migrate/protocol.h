/*
 * Live migration, the message sequence. Every message is a state section;
 * the arrows are the only order in which they may come.
 *
 *   source (the VMM, on a socket `sheer migrate` connected)     target (`sheer receive`)
 *     |                                                            |
 *     | -- "SHEERMIG", MHLO, HDR0 (format, CPU, config), CPID ----> | checks: protocol and format versions, name free,
 *     |                                                            | cores and memory, the guest's CPUID
 *     | <------------------------- MRDY, or MREF "reason" -------- | builds an empty VM
 *     |                                                            |
 *     | -- MPG0 ... MRND (round 1: every non-zero page) ---------> | pages written into the VM's RAM
 *     | <------------------------------------------------- MRAK -- | the round is in
 *     | -- MPG0 ... MRND (round n: pages dirtied since) ---------> |
 *     | <------------------------------------------------- MRAK -- |
 *     |    ... until the dirty rest fits the downtime limit        |
 *   pause                                                          |
 *     | -- MPG0 ... (the rest), machine state sections, MEND ----> | vm_restore_finish
 *     | <---------------- MLOD (load time), or MFAL "reason" ----- |
 *     | -- MGO0 ------------------------------------------------> | ===== switch-over =====
 *     | <------------------------------------------------- MRUN -- | the target runs the guest (its
 *     |                                                            | threads waited, held, since MRDY)
 *   stop: `sheer run` exits 0, "migrated to ADDR"                  |
 *
 * The rule: until the source has sent MGO0, the source runs the guest
 * (resumed if it was paused) and any failure (the connection, the target's
 * refusal, a checksum, the time limit) leaves it running while the target
 * discards what it received. After MGO0 the source never resumes: if MRUN
 * does not come, the guest stays paused on the source and the operator is
 * told to look at the target before resuming it by hand, since the target
 * may be running it. Exactly one of the two ever runs the guest.
 */
#ifndef SHEER_P2V_MIGRATE_PROTOCOL_H
#define SHEER_P2V_MIGRATE_PROTOCOL_H

#include "vmm/kvm/memory_state.h"
#include "vmm/machine/state.h"

#define MIGRATE_MAGIC "SHEERMIG"
/* What MHLO says: the message sequence above. Another number is refused before anything else is read. */
#define MIGRATE_PROTOCOL_VERSION 1
#define MIGRATE_SECTION_VERSION 1
/* The largest section either end accepts: a 2 MiB block of pages with its maps. */
#define MIGRATE_SECTION_MAX (MEMORY_BLOCK_SIZE + 4096)
#define MIGRATE_TEXT_MAX 512

#define MIGRATE_HELLO STATE_TYPE('M', 'H', 'L', 'O')	/* u32 MIGRATE_PROTOCOL_VERSION */
#define MIGRATE_READY STATE_TYPE('M', 'R', 'D', 'Y')
#define MIGRATE_REFUSED STATE_TYPE('M', 'R', 'E', 'F')	/* text: why */
#define MIGRATE_ROUND STATE_TYPE('M', 'R', 'N', 'D')	/* u32 round, u64 pages sent in it */
/* The round is in the target's RAM: the source times a round to the target, not into socket buffers. */
#define MIGRATE_ROUND_DONE STATE_TYPE('M', 'R', 'A', 'K')
#define MIGRATE_END STATE_TYPE('M', 'E', 'N', 'D')	/* u64 sections of machine state before it */
#define MIGRATE_LOADED STATE_TYPE('M', 'L', 'O', 'D')	/* u64 ns the target took from MEND to loaded */
#define MIGRATE_FAILED STATE_TYPE('M', 'F', 'A', 'L')	/* text: why */
#define MIGRATE_GO STATE_TYPE('M', 'G', 'O', '0')
#define MIGRATE_RUNNING STATE_TYPE('M', 'R', 'U', 'N')

#endif
