"""Schemathesis hooks for tests/schema.rs.

One rule of `POST /execute` cannot be stated in JSON Schema: no input file
name may also be the directory of another (`a` and `a/b`), since one path
cannot be both a file and a directory. Generated bodies that break it are
left out; every other request is held to the document by every check.
"""

import schemathesis
from hypothesis.internal import lambda_sources

# Hypothesis parses source files to print lambdas in its reports; on
# CPython 3.11 that parse can raise `SystemError: AST constructor recursion
# depth mismatch`, which Schemathesis reports as a runtime error of the run
# (not a finding about the server). Lambdas are named plainly instead.
lambda_sources.lambda_description = lambda f: "lambda: ..."


def _conflicting(names):
    given = set(names)
    for name in given:
        parts = name.split("/")
        for end in range(1, len(parts)):
            if "/".join(parts[:end]) in given:
                return True
    return False


@schemathesis.hook
def filter_body(ctx, body):
    if isinstance(body, dict) and isinstance(body.get("input_files"), dict):
        return not _conflicting(body["input_files"])
    return True


# A session's file comes back as its bytes (`GET /sessions/{id}/files/{path}`,
# documented as a binary string): read as text, byte for byte, so its
# response is validated against the document like every other.
@schemathesis.deserializer("application/octet-stream")
def raw_bytes(ctx, response):
    return response.content.decode("latin-1")
