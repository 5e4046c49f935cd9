"""gunicorn's sync worker, answering a request line too long for it with the
API's JSON error body rather than gunicorn's HTML page (the error comes before
any application code runs)."""

import json

from gunicorn.http.errors import LimitRequestLine
from gunicorn.util import write_nonblock
from gunicorn.workers.sync import SyncWorker

from socrates.error_codes import ErrorCode


class JsonErrorsSyncWorker(SyncWorker):
    def handle_error(self, req, client, addr, exc):
        if not isinstance(exc, LimitRequestLine):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", addr[0] if addr else "", exc)
        body = json.dumps(
            {
                "detail": f"The request line is longer than {self.cfg.limit_request_line} bytes.",
                "code": ErrorCode.TOO_LARGE,
            }
        ).encode()
        head = (
            "HTTP/1.1 414 URI Too Long\r\n"
            "Connection: close\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        try:
            write_nonblock(client, head + body)
        except OSError:
            self.log.debug("Failed to send error message.")
