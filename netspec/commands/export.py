"""(being written)"""
HELP = "(not yet available)"


def add_arguments(p):
    pass


def run(args) -> int:
    from ..errors import UsageError

    raise UsageError("'export' is not available yet")
