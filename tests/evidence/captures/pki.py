"""A test PKI made in the test run, and the real services built on it: an RFC
3161 time-stamping authority (``openssl ts -reply`` behind a small HTTP
handler) and an HTTPS copy of the test site, both on loopback, spare ports."""

from __future__ import annotations

import datetime as dt
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
TSA_NAME = "Provenance Test TSA"
TSA_POLICY = "1.3.6.1.4.1.99999.1.1"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Provenance tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey
    cert_path: Path
    key_path: Path


@dataclass
class TestCA:
    __test__ = False  # not a test class

    root: Issued
    directory: Path

    @classmethod
    def create(cls, directory: Path, name: str = "Provenance Test Root CA") -> TestCA:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(_name(name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
            )
            .sign(key, hashes.SHA256())
        )
        directory.mkdir(parents=True, exist_ok=True)
        return cls(root=_write(directory, "ca", cert, key), directory=directory)

    def issue(
        self,
        name: str,
        *,
        usage: x509.ObjectIdentifier,
        sans: list[x509.GeneralName] | None = None,
    ) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(name))
            .issuer_name(self.root.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=10))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            # RFC 3161 wants the timeStamping purpose critical; the Web PKI
            # profile wants a server's purposes not critical.
            .add_extension(
                x509.ExtendedKeyUsage([usage]),
                usage == ExtendedKeyUsageOID.TIME_STAMPING,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    self.root.key.public_key()
                ),
                False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
            )
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(sans), False)
        cert = builder.sign(self.root.key, hashes.SHA256())
        return _write(self.directory, name.replace(" ", "_").lower(), cert, key)


def _write(
    directory: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> Issued:
    cert_path = directory / f"{stem}.pem"
    key_path = directory / f"{stem}.key"
    cert_path.write_bytes(_pem(cert))
    key_path.write_bytes(_pem_key(key))
    return Issued(cert=cert, key=key, cert_path=cert_path, key_path=key_path)


# --- The TSA --------------------------------------------------------------------

_TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/tsaserial
signer_cert = {signer}
signer_key = {key}
{certs}
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class TSA:
    url: str
    ca: TestCA
    cert: x509.Certificate
    requests: list[bytes]


# By default the TSA's tokens carry only its own certificate (``certs``
# unset), as many TSAs send them; with the chain, openssl writes the token's
# SET OF certificates in the order given, not always in DER order.
def _tsa_handler(config: Path, workdir: Path, requests: list[bytes]) -> type:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            query = self.rfile.read(length)
            requests.append(query)
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            with lock:  # one serial file
                query_path = workdir / "query.tsq"
                reply_path = workdir / "reply.tsr"
                query_path.write_bytes(query)
                done = subprocess.run(
                    [
                        OPENSSL,
                        "ts",
                        "-reply",
                        "-config",
                        str(config),
                        "-queryfile",
                        str(query_path),
                        "-out",
                        str(reply_path),
                    ],
                    capture_output=True,
                    check=False,
                )
                reply = reply_path.read_bytes() if done.returncode == 0 else b""
            if not reply:
                self.send_error(500, done.stderr.decode()[:200])
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


@contextmanager
def serve_tsa(directory: Path, *, with_chain: bool = False) -> Iterator[TSA]:
    """A real RFC 3161 TSA on 127.0.0.1 (a spare port) signing with a test
    certificate (critical timeStamping purpose) issued by a test root CA;
    ``with_chain`` adds the root to each token (``certs``)."""
    ca = TestCA.create(directory / "tsa-pki", name="Provenance Test TSA Root")
    signer = ca.issue(TSA_NAME, usage=ExtendedKeyUsageOID.TIME_STAMPING)
    workdir = directory / "tsa"
    workdir.mkdir()
    (workdir / "tsaserial").write_text("01\n")
    config = workdir / "tsa.cnf"
    config.write_text(
        _TSA_CONFIG.format(
            dir=workdir,
            signer=signer.cert_path,
            key=signer.key_path,
            policy=TSA_POLICY,
            certs=f"certs = {ca.root.cert_path}" if with_chain else "",
        )
    )
    requests: list[bytes] = []
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), _tsa_handler(config, workdir, requests)
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TSA(
            url=f"http://127.0.0.1:{server.server_address[1]}/tsr",
            ca=ca,
            cert=signer.cert,
            requests=requests,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- HTTPS ----------------------------------------------------------------------


def https_context(ca: TestCA, host: str = "127.0.0.1") -> ssl.SSLContext:
    """A server context with a certificate for ``host`` issued by ``ca`` (the
    chain sent: leaf, then the root)."""
    import ipaddress

    server = ca.issue(
        "Provenance test site",
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        sans=[x509.IPAddress(ipaddress.ip_address(host))],
    )
    chain = ca.directory / "site-chain.pem"
    chain.write_bytes(_pem(server.cert) + _pem(ca.root.cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, server.key_path)
    return context
