"""``python -m wecom_mock [options]`` runs the packaged ``wecom-mock`` binary."""

import os
import subprocess
import sys

from ._server import find_binary


def main() -> int:
    binary = find_binary()
    if os.name == "nt":
        return subprocess.call([binary, *sys.argv[1:]])
    os.execv(binary, [binary, *sys.argv[1:]])
    return 0  # not reached: execv replaces the process


if __name__ == "__main__":
    sys.exit(main())
