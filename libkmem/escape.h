/* SPDX-License-Identifier: MIT */
/*
 * Strings that others supply, made safe to print: a client's name from its
 * HELLO, names and callers read from the shared segment (any client can
 * write it), and whatever a daemon's reply carries to an operator's
 * terminal.  Shared by kmemd (daemon/), libkmem's views and kmemctl (ctl/);
 * header-only so that each links nothing more.  Not installed.
 *
 * The escaped form is printable ASCII: 0x20..0x7e stay, a backslash becomes
 * "\\" and every other byte "\xNN" (so the original bytes can be read back,
 * and a newline, an escape sequence or a byte that is not UTF-8 can neither
 * forge a log line, drive a terminal nor make a JSON string invalid).
 */
#ifndef _KMEM_ESCAPE_H
#define _KMEM_ESCAPE_H

#include <stddef.h>

/* kmem_escape() flags */
#define KMEM_ESC_SPACE		(1u << 0)	/* a space too: the string is one field of a line */
#define KMEM_ESC_KEEP_LINES	(1u << 1)	/* keep '\n' and '\t': a multi-line text */
#define KMEM_ESC_KEEP_BACKSLASH	(1u << 2)	/* text escaped once already (a daemon's) */

/* The longest escape of one byte, "\xNN". */
#define KMEM_ESC_MAX		4
/* Room for the escape of an @n-byte string, its NUL included. */
#define KMEM_ESC_SIZE(n)	((n) * KMEM_ESC_MAX + 1)

/*
 * kmem_escape - escape the first @n bytes of @src (fewer if a NUL comes
 * first) into @dst of @len bytes (> 0), always NUL-terminated.  What does
 * not fit is left out whole: an escape is never cut in two.
 * Return: the bytes of @src consumed (< @n and < strlen when @dst was too small).
 */
static inline size_t kmem_escape(char *dst, size_t len, const char *src, size_t n,
				 unsigned int flags)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, j, used = 0;

	for (i = 0; i < n && src[i]; i++) {
		unsigned char c = (unsigned char)src[i];
		char e[KMEM_ESC_MAX];
		size_t k = 0;

		if (c == '\\' && !(flags & KMEM_ESC_KEEP_BACKSLASH)) {
			e[k++] = '\\';
			e[k++] = '\\';
		} else if ((c > ' ' && c < 0x7f) || (c == ' ' && !(flags & KMEM_ESC_SPACE)) ||
			   ((c == '\n' || c == '\t') && (flags & KMEM_ESC_KEEP_LINES))) {
			e[k++] = (char)c;
		} else {
			e[k++] = '\\';
			e[k++] = 'x';
			e[k++] = hex[c >> 4];
			e[k++] = hex[c & 15];
		}
		if (used + k >= len)
			break;
		for (j = 0; j < k; j++)
			dst[used++] = e[j];
	}
	dst[used] = '\0';
	return i;
}

#endif /* _KMEM_ESCAPE_H */
