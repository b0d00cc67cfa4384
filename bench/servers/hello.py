"""The "hello" handler on CPython: ThreadingHTTPServer, a BaseHTTPRequestHandler subclass answering
13 bytes with Content-Length on HTTP/1.1, log_message suppressed. Prints `LISTENING <port>`."""
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "13")
        self.end_headers()
        self.wfile.write(b"Hello, World!")

    def log_message(self, format, *args):
        pass


with ThreadingHTTPServer(("127.0.0.1", 0), Hello) as httpd:
    print(f"LISTENING {httpd.server_port}", flush=True)
    httpd.serve_forever()
