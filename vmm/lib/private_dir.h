/* Directories of sheer's shared state (/run/sheer and below). */
#ifndef SHEER_VMM_LIB_PRIVATE_DIR_H
#define SHEER_VMM_LIB_PRIVATE_DIR_H

/* Where servers' records, control sockets and device claims live unless SHEER_RUN_DIR says otherwise. */
#define SHEER_RUN_DIR "/run/sheer"

/*
 * Make dir (its parent must exist), or accept it, as a directory only its
 * owner can enter: the sockets and claim records in it steer a root-run VMM
 * and driver binding. An existing one must be a real directory (-ENOTDIR for
 * a file or a symlink) owned by the caller (-EPERM), and is tightened to 0700.
 */
int private_dir_ensure(const char *dir);
/*
 * For commands that only read what is there: the same checks, but dir is
 * never made, and one that is not there is accepted (it holds nothing).
 */
int private_dir_check_if_there(const char *dir);
/* What private_dir_ensure's error means, for the operator; NULL for a plain errno. */
const char *private_dir_problem(int ret);

#endif
