"""The ceiling: a bare Starlette "hello" on uvicorn, measured beside pagetoken in the same run.

    python -m bench.peers.hello --port PORT [--workers N]
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def hello(_request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world"})


app = Starlette(routes=[Route("/", hello)])


if __name__ == "__main__":
    # Served as `pagetoken serve` serves: uvicorn's httptools with the same guards, one listening socket
    # per worker, no access log.
    import argparse
    import sys

    from pagetoken.cli.workers import serve
    from pagetoken.guards import HeaderTimeoutProtocol

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    sys.exit(serve("bench.peers.hello:app", host=args.host, port=args.port, workers=args.workers,
                   log_level="warning", access_log=False, http=HeaderTimeoutProtocol))
