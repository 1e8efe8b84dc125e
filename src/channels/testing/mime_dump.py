"""Parses a message with Python's email package (an independent MIME parser)
and prints what a mail client would see, as JSON. Run with /usr/bin/python3.

  mime_dump.py MESSAGE_FILE
  {"headers": {name: decoded value}, "from_name": ..., "from_address": ...,
   "defects": n, "parts": [{"type", "charset", "cte", "content"}]}
"""
import json
import sys
from email import message_from_bytes, policy

with open(sys.argv[1], "rb") as f:
    msg = message_from_bytes(f.read(), policy=policy.default)

out = {"headers": {}, "defects": len(msg.defects), "parts": []}
for name, value in msg.items():
    out["headers"][name] = str(value)
sender = msg["From"].addresses[0]
out["from_name"] = sender.display_name
out["from_address"] = sender.addr_spec
for part in msg.walk():
    out["defects"] += len(part.defects) if part is not msg else 0
    if part.is_multipart():
        continue
    out["parts"].append({
        "type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "cte": part.get("Content-Transfer-Encoding"),
        # Quoted-printable keeps the wire CRLFs; report LF as a client shows it.
        "content": part.get_content().replace("\r\n", "\n"),
    })
print(json.dumps(out))
