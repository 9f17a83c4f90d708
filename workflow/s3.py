"""Files as objects in S3-compatible storage (STORAGE_URL=s3://bucket/prefix), through boto3.

Large files go up in parts (boto3's managed transfer) from a file on disk and come down as a
stream, so nothing holds a whole list in memory. Each object carries its SHA-256 in its
metadata, so `stat` answers without reading it. S3 has no rename: a move is a server-side copy
followed by a delete.
"""

import hashlib
import tempfile

from botocore.exceptions import BotoCoreError, ClientError

from workflow.files import BLOCK, Reader, Stat, StorageError, Store, blocks_of, check_key

# Above this, a stream to upload is spooled to a temporary file rather than held in memory.
SPOOL_BYTES = 8 * 1024 * 1024
MISSING = ("404", "NoSuchKey", "NotFound")


def _missing(error):
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in MISSING


class S3Store(Store):
    """Bytes under keys, as objects named "<prefix><key>" in one bucket."""

    def __init__(self, client, bucket, prefix=""):
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _name(self, key):
        return self.prefix + check_key(key)

    def put(self, key, source):
        name = self._name(key)
        try:
            if isinstance(source, bytes | bytearray | memoryview):
                data = bytes(source)
                stat = Stat(len(data), hashlib.sha256(data).hexdigest())
                self.client.put_object(
                    Bucket=self.bucket, Key=name, Body=data, Metadata={"sha256": stat.sha256}
                )
                return stat
            # The checksum goes in the metadata, which is sent first: the stream is read once
            # into a spooled file while hashed, then uploaded from it (in parts when large).
            with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
                digest, size = hashlib.sha256(), 0
                for block in blocks_of(source):
                    spool.write(block)
                    digest.update(block)
                    size += len(block)
                spool.seek(0)
                stat = Stat(size, digest.hexdigest())
                self.client.upload_fileobj(
                    spool, self.bucket, name, ExtraArgs={"Metadata": {"sha256": stat.sha256}}
                )
                return stat
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not store {key}: {error}") from error

    def open(self, key):
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as error:
            if _missing(error):
                raise FileNotFoundError(key) from None
            raise StorageError(f"could not read {key}: {error}") from error
        body = found["Body"]
        return Reader(found["ContentLength"], self._blocks(key, body), on_close=body.close)

    @staticmethod
    def _blocks(key, body):
        try:
            yield from body.iter_chunks(BLOCK)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not read {key}: {error}") from error

    def stat(self, key):
        try:
            found = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as error:
            if _missing(error):
                return None
            raise StorageError(f"could not look up {key}: {error}") from error
        return Stat(found["ContentLength"], found.get("Metadata", {}).get("sha256"))

    def move(self, key, new_key):
        source = {"Bucket": self.bucket, "Key": self._name(key)}
        try:
            # The managed copy: one request, or parts for objects beyond 5 GB; metadata kept.
            self.client.copy(source, self.bucket, self._name(new_key))
            self.client.delete_object(**source)
        except (BotoCoreError, ClientError) as error:
            if _missing(error):
                raise FileNotFoundError(key) from None
            raise StorageError(f"could not move {key}: {error}") from error

    def delete(self, key):
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"could not delete {key}: {error}") from error

    def ping(self):
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"bucket {self.bucket}: {error}") from error

    def __repr__(self):
        return f"<S3Store s3://{self.bucket}/{self.prefix}>"
