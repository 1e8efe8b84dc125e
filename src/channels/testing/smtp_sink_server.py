"""A real SMTP server for the channel tests (aiosmtpd), run by SmtpSink.

Run it with Debian's /usr/bin/python3 (python3-aiosmtpd). It binds 127.0.0.1
on a free port (port 0) and writes that port to <dir>/port once it listens.
Every accepted message is saved as <dir>/NNNN.eml (the DATA bytes exactly as
received) plus <dir>/NNNN.json (envelope: mail_from, rcpt_tos, auth user, tls).

Options:
  --reject ADDR     answer RCPT TO:<ADDR> with 550 5.1.1 (a hard bounce)
  --tempfail ADDR   answer RCPT TO:<ADDR> with 451 4.3.0 (try again later)
  --auth USER:PASS  require AUTH (PLAIN/LOGIN, allowed without TLS)
  --tls CERT:KEY    offer STARTTLS with this certificate and require it
It stops on SIGTERM.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, directory, reject, tempfail):
        self.directory = directory
        self.reject = {a.lower() for a in reject}
        self.tempfail = {a.lower() for a in tempfail}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 Mailbox unavailable"
        if address.lower() in self.tempfail:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%04d" % self.count)
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": bool(session.authenticated),
            "auth_user": session.auth_data if isinstance(session.auth_data, str) else None,
            "tls": session.ssl is not None,
        }
        # json first, then the message: a test that sees NNNN.eml sees both.
        for suffix, data in ((".json", json.dumps(meta).encode()), (".eml", envelope.original_content)):
            with open(base + suffix + ".tmp", "wb") as f:
                f.write(data)
            os.rename(base + suffix + ".tmp", base + suffix)
        return "250 2.0.0 Accepted"


def make_authenticator(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        if (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
                and auth_data.password.decode() == password):
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False)
    return authenticator


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--tempfail", action="append", default=[])
    parser.add_argument("--auth")
    parser.add_argument("--tls")
    args = parser.parse_args()

    handler = Handler(args.dir, args.reject, args.tempfail)
    kwargs = {"hostname": "recall-test-sink", "auth_require_tls": False}
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs["authenticator"] = make_authenticator(user, password)
        kwargs["auth_required"] = True
    if args.tls:
        cert, key = args.tls.split(":", 1)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = True

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **kwargs), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with open(os.path.join(args.dir, "port.tmp"), "w") as f:
        f.write(str(port))
    os.rename(os.path.join(args.dir, "port.tmp"), os.path.join(args.dir, "port"))

    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
