/* sheer(1): the man page, printed as roff from the command table and the profile's key table. */
#ifndef SHEER_VMM_CLI_MAN_PAGE_H
#define SHEER_VMM_CLI_MAN_PAGE_H

#include <stdio.h>

/* The whole page on out (the build runs `sheer help --man` into build/sheer.1); -EIO if out failed. */
int man_page_print(FILE *out);

#endif
