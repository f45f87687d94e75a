"""uvicorn's httptools protocol answering the requests it cannot parse with
a SCIM Error (RFC 7644 §3.12) instead of its plain-text 400.

httptools (llhttp) refuses a request line or header it cannot parse (a URL
of about 100,000 characters and more, bytes HTTP does not allow) before
any application code runs; uvicorn then writes ``Invalid HTTP request
received.`` as ``text/plain`` and closes the connection. This protocol
writes the same status, and the same close, with a SCIM Error body.
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from scimdock.core.errors import ScimError

UNPARSABLE = "Request line or headers cannot be parsed (too long, or not HTTP/1.1)"


class ScimErrorProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        content = orjson.dumps(ScimError(400, UNPARSABLE).to_dict())
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head.extend([name, b": ", value, b"\r\n"])
        head.extend(
            [
                b"content-type: application/scim+json\r\n",
                b"content-length: " + str(len(content)).encode("ascii") + b"\r\n",
                b"connection: close\r\n\r\n",
                content,
            ]
        )
        self.transport.write(b"".join(head))
        self.transport.close()
