/* A buffer that grows up to a bound (bounded_buffer.h). */
#include <stdlib.h>
#include <string.h>

#include "vmm/lib/bounded_buffer.h"

size_t bounded_buffer_write(char *ptr, size_t size, size_t nmemb, void *buffer)
{
	struct bounded_buffer *b = buffer;
	size_t n = size * nmemb;
	char *bigger;

	if (n > b->max - b->len) {
		b->too_long = true;
		return 0;
	}
	bigger = realloc(b->data, b->len + n + 1);
	if (!bigger)
		return 0;
	memcpy(bigger + b->len, ptr, n);
	b->data = bigger;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}
