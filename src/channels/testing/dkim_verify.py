"""Verifies a DKIM signature with python3-dkim (dkimpy), an implementation
independent of Recall's signer. Run with /usr/bin/python3.

  dkim_verify.py MESSAGE_FILE SELECTOR DOMAIN PUBLIC_KEY_BASE64

The DNS lookup of SELECTOR._domainkey.DOMAIN is answered from the arguments.
Exit status 0 when the signature verifies, 1 when it does not.
"""
import sys

import dkim

message_file, selector, domain, public_key = sys.argv[1:5]
expected = ("%s._domainkey.%s" % (selector, domain)).encode()
record = ("v=DKIM1; k=rsa; p=%s" % public_key).encode()


def dnsfunc(name, timeout=5):
    if name.rstrip(b".").lower() == expected.lower():
        return record
    return None


with open(message_file, "rb") as f:
    message = f.read()
sys.exit(0 if dkim.verify(message, dnsfunc=dnsfunc) else 1)
