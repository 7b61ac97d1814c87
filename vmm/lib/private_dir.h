/* Directories of sheer's shared state (/run/sheer and below). */
#ifndef SHEER_VMM_LIB_PRIVATE_DIR_H
#define SHEER_VMM_LIB_PRIVATE_DIR_H

/* Where servers' records, control sockets and device claims live unless SHEER_RUN_DIR says otherwise. */
#define SHEER_RUN_DIR "/run/sheer"

/*
 * Make dir (its parent must exist), or accept it as it is, as a directory only
 * its owner can enter: the sockets and claim records in it steer a root-run
 * VMM and driver binding. Returns 0 or a negative errno (-ENOTDIR: not a directory).
 */
int private_dir_ensure(const char *dir);

#endif
