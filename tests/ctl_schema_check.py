#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check one control-protocol reply against its schema with the real validator.

    ctl_schema_check.py SCHEMA CMD REPLY_FILE

SCHEMA is docs/ctl-schema/replies.json, CMD the command whose $defs entry the
reply must satisfy (JSON Schema draft 2020-12), REPLY_FILE one reply as
kmemctl --json prints it.  tests/test_kmemctl_views.c runs it.

Exit status: 0 valid; 1 invalid (every violation printed, with its path);
2 bad usage or an unreadable file; 3 the check itself failed (an invalid
schema, an exception), so that a crash never reads as "invalid"; 77 the
jsonschema module is missing, so nothing was checked (the caller reports
the check as skipped).
"""
import json
import sys

try:
    from jsonschema import Draft202012Validator
except ImportError:
    print("jsonschema is not installed (Debian: python3-jsonschema)")
    sys.exit(77)


def main(argv):
    if len(argv) != 4:
        print("usage: ctl_schema_check.py SCHEMA CMD REPLY_FILE")
        return 2
    try:
        with open(argv[1]) as f:
            schema = json.load(f)
        with open(argv[3]) as f:
            reply = json.load(f)
    except (OSError, ValueError) as e:
        print(f"ctl_schema_check: {e}")
        return 2
    # The schema itself must be valid draft 2020-12, or nothing it says counts.
    Draft202012Validator.check_schema(schema)
    if argv[2] not in schema.get("$defs", {}):
        print(f"ctl_schema_check: no $defs[{argv[2]!r}] in {argv[1]}")
        return 2
    # A reference into the file, so that the entry may refer to other $defs.
    root = {"$schema": schema["$schema"], "$defs": schema["$defs"],
            "$ref": "#/$defs/" + argv[2].replace("~", "~0").replace("/", "~1")}
    errors = sorted(Draft202012Validator(root).iter_errors(reply), key=lambda e: list(e.path))
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path)
        print(f"{argv[2]}: /{path}: {e.message}")
    return 1 if errors else 0


if __name__ == "__main__":
    try:
        status = main(sys.argv)
    except Exception as e:  # noqa: BLE001 - any failure of the checker itself
        print(f"ctl_schema_check: {type(e).__name__}: {e}")
        status = 3
    sys.exit(status)
