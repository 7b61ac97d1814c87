/* Directories of sheer's shared state (/run/sheer and below). */
#ifndef SHEER_PRIVATE_DIR_H
#define SHEER_PRIVATE_DIR_H

/*
 * Make dir (its parent must exist), or accept it as it is, as a directory only
 * its owner can enter: the sockets and claim records in it steer a root-run
 * VMM and driver binding. Returns 0 or a negative errno (-ENOTDIR: not a directory).
 */
int private_dir_ensure(const char *dir);

#endif
