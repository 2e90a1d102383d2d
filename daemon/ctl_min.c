// SPDX-License-Identifier: MIT
/*
 * A minimal control protocol, built only while daemon/ctl.c (the real one,
 * branch kmemd-ctl) is absent: daemon/CMakeLists.txt picks ctl.c when the
 * file exists and this file otherwise, so the merge needs no edit here.
 *
 * It answers "clients" (from kmemd's table, through kmemd_ctl_set_ops())
 * and "version"; every other command gets
 * {"version":1,"error":"control protocol not built"}.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static struct kmemd_ctl_ops ops;

void kmemd_ctl_set_ops(const struct kmemd_ctl_ops *o)
{
	ops = *o;
}

static char *reply(json_t *o)
{
	char *s;

	json_object_set_new(o, "version", json_integer(KMEMD_CTL_VERSION));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static char *error_reply(const char *msg)
{
	return reply(json_pack("{s:s}", "error", msg));
}

char *kmemd_ctl_handle(const char *request, size_t len)
{
	json_error_t jerr;
	const char *cmd;
	json_t *req;
	char *s;

	req = json_loadb(request, len, 0, &jerr);
	if (!req || !json_is_object(req) ||
	    !(cmd = json_string_value(json_object_get(req, "cmd")))) {
		json_decref(req);
		return error_reply("malformed request");
	}
	if (!strcmp(cmd, "clients"))
		s = reply(json_pack("{s:o}", "clients", ops.clients ? ops.clients() : json_array()));
	else if (!strcmp(cmd, "version"))
		s = reply(json_pack("{s:s}", "cmd", "version"));
	else
		s = error_reply("control protocol not built");
	json_decref(req);
	return s;
}
