"""Runs benchcore's Python transcript tests for one conversation.

Each test file exports `run(transcript: str) -> dict` returning
{"title": ..., "variables": [{"metric": ..., "value": ..., "status": "good|warning|poor"}]}.

The request comes as JSON on stdin: {"transcript": "AGENT: ...\\nPARTICIPANT: ...\\n",
"files": ["/abs/path/test.py", ...]}. For each file, in order, one line goes to stdout:
`BENCHCORE_TRANSCRIPT_TEST {"file": ..., "report": {...}}` or, when the file fails,
`BENCHCORE_TRANSCRIPT_TEST {"file": ..., "error": {"type", "message", "traceback"}}`; then
`BENCHCORE_TRANSCRIPT_TESTS_DONE`. What the tests print goes to stderr.
"""

import importlib.util
import json
import os
import sys
import traceback

MARK = "BENCHCORE_TRANSCRIPT_TEST "
DONE = "BENCHCORE_TRANSCRIPT_TESTS_DONE"


def run_file(index, path, transcript):
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = "benchcore_transcript_test_%d" % index
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return {"error": {"type": "ImportError", "message": "cannot be imported as a module"}}
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    run = getattr(module, "run", None)
    if not callable(run):
        return {"error": {"type": "MissingRun",
                          "message": "defines no run(transcript) function"}}
    value = run(transcript)
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        return {"error": {"type": "NotJson",
                          "message": "run() returned a value that is not JSON: %s" % e}}
    return {"report": json.loads(text)}


def main():
    request = json.load(sys.stdin)
    out = sys.stdout
    sys.stdout = sys.stderr
    for index, path in enumerate(request["files"]):
        try:
            result = run_file(index, path, request["transcript"])
        except BaseException as e:  # noqa: B036 - a test's SystemExit must not end the others
            result = {"error": {"type": type(e).__name__, "message": str(e),
                                "traceback": traceback.format_exc()}}
        result["file"] = path
        out.write(MARK + json.dumps(result) + "\n")
        out.flush()
    out.write(DONE + "\n")
    out.flush()


main()
