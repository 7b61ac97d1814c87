/*
 * Where sheer keeps what outlives a server's run: the operator's
 * configuration (/etc/sheer, or $SHEER_CONFIG_DIR) and the consoles' logs
 * (/var/log/sheer, or $SHEER_LOG_DIR). Tests and unprivileged users point
 * the variables elsewhere.
 */
#ifndef SHEER_VMM_LIB_HOST_DIRS_H
#define SHEER_VMM_LIB_HOST_DIRS_H

#include <stddef.h>

#define SHEER_CONFIG_DIR "/etc/sheer"
#define SHEER_LOG_DIR "/var/log/sheer"

/* The configuration folder's subfolder sub ("servers", "physical"); -ENAMETOOLONG if it does not fit. */
int config_dir_path(const char *sub, char *out, size_t outlen);
/* The folder of the consoles' logs. */
int log_dir_path(char *out, size_t outlen);
/* Make dir and its missing parents, mode, like `mkdir -p`; 0 or a negative errno. */
int dir_make_parents(const char *dir, unsigned int mode);

#endif
