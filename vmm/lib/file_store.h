/* Files written whole or not at all: a new file beside the old one, renamed over it. */
#ifndef SHEER_VMM_LIB_FILE_STORE_H
#define SHEER_VMM_LIB_FILE_STORE_H

#include <stddef.h>

/* write_body fills fd (0 or a negative errno); then the file replaces path, mode 0600. */
int file_store(const char *path, int (*write_body)(int fd, void *ctx), void *ctx);
/* The same with len bytes of text, synced to disk before the rename. */
int file_store_text(const char *path, const char *text, size_t len);

#endif
