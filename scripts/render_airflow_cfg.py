#!/usr/bin/env python3
"""Render airflow.cfg.template into airflow.cfg: `${NAME}` / `${NAME:-default}` from the environment.

A placeholder without a value or default stops rendering with a message naming the variable.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)(?::-((?:[^{}]|\$\{[^}]*\})*))?\}")


def render(text: str, env: dict[str, str]) -> str:
    missing: list[str] = []

    def substitute(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if env.get(name):
            return env[name]
        if default is not None:
            return PLACEHOLDER.sub(substitute, default)
        missing.append(name)
        return ""

    out = PLACEHOLDER.sub(substitute, text)
    if missing:
        raise KeyError(", ".join(sorted(set(missing))))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", default=str(ROOT / "airflow.cfg.template"))
    parser.add_argument("--output", default=str(ROOT / "airflow.cfg"))
    args = parser.parse_args()
    env = {"AERIS_PROJECT_ROOT": str(ROOT), **os.environ}
    try:
        text = render(Path(args.template).read_text(), env)
    except KeyError as error:
        print(
            f"aeris: set {error.args[0]} (in .env or the environment) to render airflow.cfg", file=sys.stderr
        )
        return 2
    Path(args.output).write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
