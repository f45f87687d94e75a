"""``scimdock mock --proxy URL``: the options of the recording proxy
(scimdock.mock.proxy; docs/mock.md, "Recording proxy")."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scimdock.cli.common import CliError, option

#: The token's variable, so that it need not be on the command line (``ps``).
TOKEN_VARIABLE = "SCIMDOCK_PROXY_TOKEN"


def add_options(sp: Any) -> None:
    sp.add_argument(
        "--proxy",
        metavar="URL",
        type=option(_url),
        help="forward every SCIM request to this service provider (its base URL) and record it",
    )
    sp.add_argument(
        "--proxy-token",
        metavar="TOKEN",
        help=f"the bearer token the proxy sends the target (or ${TOKEN_VARIABLE})",
    )
    sp.add_argument(
        "--proxy-timeout",
        metavar="SECONDS",
        type=option(_seconds),
        default=30.0,
        help="how long the target may take to answer (default 30); then 504",
    )
    sp.add_argument(
        "--record",
        metavar="DIR",
        help="write snapshot.json and profile.json of what the proxy saw here when the mock stops",
    )


def target(args: argparse.Namespace, tenant_id: int) -> Any:
    """The proxy's target of the options (:func:`check` passed), or
    ``None`` without ``--proxy``."""
    if args.proxy is None:
        return None
    token = args.proxy_token or os.environ[TOKEN_VARIABLE]
    from scimdock.mock.handlers.proxy import Target

    folder = Path(args.record) if args.record else None
    return Target(args.proxy, token, tenant_id, timeout=args.proxy_timeout, folder=folder)


def check(args: argparse.Namespace) -> None:
    """The proxy options' usage errors, before anything starts."""
    if args.proxy is None and (args.record or args.proxy_token):
        raise CliError("--record and --proxy-token go with --proxy URL", 2)
    if args.proxy is not None and not (args.proxy_token or os.environ.get(TOKEN_VARIABLE)):
        raise CliError(f"--proxy needs --proxy-token TOKEN (or ${TOKEN_VARIABLE})", 2)


def save(target: Any) -> None:
    """The recording into ``--record``'s folder, when the mock stops."""
    if target is not None and target.folder is not None:
        try:
            for path in target.save():
                print(f"scimdock mock: recorded {path}", file=sys.stderr, flush=True)
        except OSError as exc:
            raise CliError(f"--record {target.folder}: {exc.strerror or exc}") from None


def _url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("an http:// or https:// base URL, without query or fragment")
    return text.strip().rstrip("/")


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or not 0 < value <= 3600:
        raise ValueError("a number of seconds above 0, at most 3600")
    return value
