"""Print the shell completion script for bash, zsh or fish: commands, options, their choices,
spec files and the zoo's names, layer kinds (`netspec kinds`) and diagnostic codes
(`--explain`). The script asks netspec itself for the completions (argcomplete), so they stay
true to the installed version."""
from __future__ import annotations

import argparse

HELP = "print the shell completion script (bash, zsh, fish)"
SHELLS = ("bash", "zsh", "fish")
EXAMPLES = """\
  eval "$(netspec completion bash)"                                # in ~/.bashrc
  netspec completion zsh > "${fpath[1]}/_netspec"                  # or eval it in ~/.zshrc
  netspec completion fish > ~/.config/fish/completions/netspec.fish"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("shell", choices=SHELLS)


def run(args: argparse.Namespace) -> int:
    from argcomplete import shellcode

    print(shellcode(["netspec"], shell=args.shell))
    return 0
