"""`python -m zerenzhi_verify <draw|tally> FILE`: dispatch to the subcommand's own `main(argv)`."""

import importlib
import sys

COMMANDS = {"draw": "zerenzhi_verify.draw", "tally": "zerenzhi_verify.tally"}
USAGE = "用法 usage: python -m zerenzhi_verify {draw|tally} FILE"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]])  # imported only when asked for
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
