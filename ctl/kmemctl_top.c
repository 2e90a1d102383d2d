// SPDX-License-Identifier: MIT
/* kmemctl top: placeholder until the live view lands (it replaces this file). */
#include <stdio.h>

#include "kmemctl.h"

int kmemctl_top(const char *sock_path, int argc, char **argv)
{
	(void)sock_path;
	(void)argc;
	(void)argv;
	fprintf(stderr, "kmemctl: top: not built yet\n");
	return KMEMCTL_EXIT_USAGE;
}
