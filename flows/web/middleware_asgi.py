"""Django's request cycle under ASGI in one hop to a worker thread, on a fixed pool of threads that keep their
database connections.

Django's own ASGI handler runs each request in a thread of its own (asgiref's ThreadSensitiveContext starts a new
executor per request) and builds its middleware chain for the event loop. Our middleware is synchronous (and viewflow
adds two synchronous ones), so a request went loop → thread (the middleware) → loop (Django's async view caller) →
thread (the view) and back, and the signals and `response.close()` hopped again. Worse, the thread being new each
time, its thread-local database connection was new each time: on SQLite, opening one reads the whole schema (391
tables and indexes) and runs the connection's PRAGMAs, about 2 ms of CPU per request, more than the bare page's
query costs.

Here the body is read on the event loop as Django reads it, then everything else a request does in Django (the
request_started signal, the request object, the whole synchronous middleware chain and view, and for an ordinary
response `close()` with the request_finished signal) runs in one call on one of `ASGI_THREADS` worker threads,
through asgiref's `sync_to_async` (so that a view's `async_to_sync`, e.g. a push to the channel layer, still runs
on the server's event loop). The response's bytes go back to the loop, which sends them. A streaming response (a
file download) is sent from the worker thread chunk by chunk, then closed there. The threads live as long as the
server, so with persistent connections (CONN_MAX_AGE, SQLite) each keeps its connection; with PostgreSQL's pool
the connection goes back to the pool at the end of each request, in the thread that took it.

What Django's handler did and this one does not: cancel the request's task when the client goes away mid-request
(a synchronous view ran to its end anyway).
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.urls import set_script_prefix

ASGI_THREADS = int(os.environ.get("ASGI_THREADS", "16"))


class OneHopASGIHandler(ASGIHandler):
    def __init__(self, threads: int = ASGI_THREADS):
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)  # one synchronous chain: no hop between middlewares
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="django-request")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()

        def send_from_thread(message):  # a streaming response's messages, sent by the loop while the thread waits
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        try:
            respond = sync_to_async(self.respond, thread_sensitive=False, executor=self.executor)
            messages = await respond(scope, body_file, send_from_thread)
        finally:
            body_file.close()
        for message in messages:
            await send(message)

    def respond(self, scope, body_file, send_from_thread) -> list[dict]:
        """The request in this worker thread, from request_started to request_finished. Returns the ASGI messages
        of an ordinary response, for the loop to send; a streaming response is sent from here."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
        response._handler_class = self.__class__
        try:
            start = {"type": "http.response.start", "status": response.status_code, "headers": _headers(response)}
            if not response.streaming:
                return [start, {"type": "http.response.body", "body": response.content}]
            if hasattr(response, "block_size"):  # a FileResponse: the server does the low-level chunking
                response.block_size = self.chunk_size
            send_from_thread(start)
            for part in response:
                for chunk, _last in self.chunk_bytes(part):
                    send_from_thread({"type": "http.response.body", "body": chunk, "more_body": True})
            send_from_thread({"type": "http.response.body", "body": b""})
            return []
        finally:
            response.close()  # request_finished: this thread's connection is closed or kept as configured


def _headers(response) -> list[tuple[bytes, bytes]]:
    """The response's headers and cookies as ASGI wants them (as Django's ASGIHandler.send_response builds them)."""
    headers = []
    for header, value in response.items():
        if isinstance(header, str):
            header = header.encode("ascii")
        if isinstance(value, str):
            value = value.encode("latin1")
        headers.append((bytes(header), bytes(value)))
    for cookie in response.cookies.values():
        headers.append((b"Set-Cookie", cookie.output(header="").encode("ascii").strip()))
    return headers


def get_asgi_application():
    """Django's `get_asgi_application`, with this handler."""
    import django

    django.setup(set_prefix=False)
    return OneHopASGIHandler()
