"""Invoke one Lambda handler from an unpacked package, as Lambda would, in an interpreter that sees nothing
else: run as `python -I -S isolated_runner.py <package dir> <module:function>` (no site-packages, no user
site, no PYTHON* variables, not even this file's directory on sys.path).

stdin: {"function_name": ..., "events": [event, ...]}; each event is handled in turn, in this one process
(one warm environment). The last line of stdout is RESULT + JSON: each handler's return value (or the
exception it raised), every loaded module whose file lies outside the package and the standard library
(must be none), and the top-level modules loaded."""

import importlib
import json
import sys
import sysconfig
import time
import traceback
import uuid

RESULT = "@@smartpay-isolated-result@@ "


class Context:
    """The LambdaContext attributes Powertools and the handlers read."""

    def __init__(self, function_name: str):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 1024
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "isolated"
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> None:
    package, ref = sys.argv[1], sys.argv[2]
    sys.path.insert(0, package)
    request = json.loads(sys.stdin.read())
    module, _, function = ref.partition(":")
    handler = getattr(importlib.import_module(module), function)
    results = []
    for event in request["events"]:
        try:
            results.append({"ok": handler(event, Context(request["function_name"]))})
        except Exception as e:  # noqa: BLE001 - reported to the test, which fails on it
            results.append({"error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
    stdlib = (sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib"))
    site = (sysconfig.get_path("purelib"), sysconfig.get_path("platlib"))  # inside stdlib's tree: not allowed
    runner = __file__  # this file (imported again as `__mp_main__` by multiprocessing users): not the package's
    files = {f for m in list(sys.modules.values()) if (f := getattr(m, "__file__", None)) and f != runner}
    outside = sorted(f for f in files if not f.startswith(package) and (not f.startswith(stdlib) or f.startswith(site)))
    top = sorted({name.split(".")[0] for name in sys.modules} - set(sys.stdlib_module_names) - set(sys.builtin_module_names))
    print(RESULT + json.dumps({"results": results, "outside": outside, "path": sys.path, "modules": top},
                              default=str), flush=True)


if __name__ == "__main__":
    main()
