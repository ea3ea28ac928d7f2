#!/usr/bin/env python3
"""Stand-in for ONE missing emulator feature: CloudWatch's Smithy RPC v2 CBOR protocol.

The Rust SDK (aws-sdk-cloudwatch) speaks only `smithy-rpc-v2-cbor` to CloudWatch, while
moto server understands CloudWatch's JSON and query protocols. This proxy takes the SDK's
CBOR request (POST /service/<target>/operation/<Operation>), forwards the same call to moto
as awsJson1_0 (X-Amz-Target, the Authorization header kept so moto records who signed),
and encodes moto's JSON answer back as CBOR, guided by botocore's CloudWatch model (which
fields are timestamps, doubles, ...). Everything else is moto's own behaviour.

Usage: cbor_proxy.py <moto endpoint>; prints the port it listens on (127.0.0.1), then serves.
"""
import http.server
import json
import socketserver
import struct
import sys
import urllib.error
import urllib.request

import botocore.session

MOTO = sys.argv[1].rstrip("/")
MODEL = botocore.session.get_session().get_service_model("cloudwatch")
TARGET = MODEL.metadata["targetPrefix"]


class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def decode(data, pos=0):
    """One CBOR data item at `pos` → (value, next position)."""
    initial = data[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if major == 7:
        if info == 20:
            return False, pos
        if info == 21:
            return True, pos
        if info in (22, 23):
            return None, pos
        if info == 25:
            return _half(data[pos:pos + 2]), pos + 2
        if info == 26:
            return struct.unpack(">f", data[pos:pos + 4])[0], pos + 4
        if info == 27:
            return struct.unpack(">d", data[pos:pos + 8])[0], pos + 8
        raise ValueError(f"unsupported simple value {info}")
    if info < 24:
        arg = info
    elif info == 31:
        arg = None  # indefinite length
    else:
        size = 1 << (info - 24)
        arg = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if arg is None:
            chunks = b""
            while data[pos] != 0xFF:
                chunk, pos = decode(data, pos)
                chunks += chunk if isinstance(chunk, bytes) else chunk.encode()
            raw, pos = chunks, pos + 1
        else:
            raw, pos = data[pos:pos + arg], pos + arg
        return (raw if major == 2 else raw.decode()), pos
    if major == 4:
        items = []
        while (arg is None and data[pos] != 0xFF) or (arg is not None and len(items) < arg):
            item, pos = decode(data, pos)
            items.append(item)
        return items, pos + (1 if arg is None else 0)
    if major == 5:
        result, count = {}, 0
        while (arg is None and data[pos] != 0xFF) or (arg is not None and count < arg):
            key, pos = decode(data, pos)
            value, pos = decode(data, pos)
            result[key] = value
            count += 1
        return result, pos + (1 if arg is None else 0)
    if major == 6:
        value, pos = decode(data, pos)
        return Tag(arg, value), pos
    raise ValueError(f"unsupported major type {major}")


def _half(raw):
    bits = int.from_bytes(raw, "big")
    exp, frac = (bits >> 10) & 0x1F, bits & 0x3FF
    value = frac * 2**-24 if exp == 0 else (float("inf") if exp == 31 else (1024 + frac) * 2 ** (exp - 25))
    return -value if bits & 0x8000 else value


def plain(value):
    """A decoded request as JSON-protocol values: timestamps (tag 1) become epoch seconds."""
    if isinstance(value, Tag):
        return plain(value.value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def head(major, arg):
    if arg < 24:
        return bytes([major << 5 | arg])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if arg < 1 << (8 * size):
            return bytes([major << 5 | info]) + arg.to_bytes(size, "big")
    raise ValueError("argument too large")


def encode(value, shape=None):
    """JSON value → CBOR, typed by the botocore shape when there is one."""
    kind = shape.type_name if shape is not None else None
    if value is None:
        return b"\xf6"
    if kind == "timestamp":
        return b"\xc1" + encode(float(value))
    if kind in ("double", "float"):
        return b"\xfb" + struct.pack(">d", float(value))
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return head(0, value) if value >= 0 else head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode()
        return head(3, len(raw)) + raw
    if isinstance(value, list):
        member = shape.member if kind == "list" else None
        return head(4, len(value)) + b"".join(encode(v, member) for v in value)
    if isinstance(value, dict):
        members = shape.members if kind == "structure" else {}
        out = head(5, len(value))
        for key, item in value.items():
            if kind == "map":
                item_shape = shape.value
            else:
                item_shape = members.get(key)
            out += encode(key) + encode(item, item_shape)
        return out
    raise ValueError(f"cannot encode {type(value)}")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        operation = self.path.rstrip("/").rsplit("/", 1)[-1]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        request = plain(decode(raw)[0]) if raw else {}
        headers = {
            "X-Amz-Target": f"{TARGET}.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
        }
        if self.headers.get("Authorization"):
            headers["Authorization"] = self.headers["Authorization"]
        forwarded = urllib.request.Request(MOTO + "/", data=json.dumps(request).encode(), headers=headers)
        try:
            with urllib.request.urlopen(forwarded) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = {"__type": "InternalFailure", "message": body.decode(errors="replace")[:200]}
        if status < 300:
            output = MODEL.operation_model(operation).output_shape
            payload = encode(parsed, output)
        else:
            payload = encode(parsed)
        self.send_response(status)
        self.send_header("smithy-protocol", "rpc-v2-cbor")
        self.send_header("Content-Type", "application/cbor")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


if __name__ == "__main__":
    server = Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
