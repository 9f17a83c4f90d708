"""moto's S3 server on loopback, for the tests of STORAGE_URL=s3://…: it speaks the S3 protocol,
so boto3 talks to it as to a real S3-compatible store (production uses a real one)."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from conftest import free_port, service_missing

BIN = Path(sys.executable).parent
# Credentials only moto accepts, and no lookup of the cloud's own metadata service: every call
# goes to the loopback endpoint and nowhere else.
AWS_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "commend-test",
    "AWS_SECRET_ACCESS_KEY": "commend-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}


class MotoServer:
    """`moto_server` in its own process on a free loopback port."""

    def __init__(self, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        executable = BIN / "moto_server"
        if not executable.exists():
            found = shutil.which("moto_server")
            if found is None:
                service_missing("moto_server is not installed (pip install 'moto[server]')")
            executable = Path(found)
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **AWS_ENVIRONMENT},
        )
        deadline = time.monotonic() + 30
        while not self._answers():
            if time.monotonic() > deadline:
                service_missing(f"moto_server did not answer: {self.log_path.read_text()[-2000:]}")
            time.sleep(0.1)

    def _answers(self):
        if self.process.poll() is not None:
            service_missing(f"moto_server exited: {self.log_path.read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False

    def client(self):
        import boto3

        return boto3.session.Session(
            aws_access_key_id=AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
            region_name=AWS_ENVIRONMENT["AWS_DEFAULT_REGION"],
        ).client("s3", endpoint_url=self.url)

    def bucket(self, name):
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
            self.log.close()
