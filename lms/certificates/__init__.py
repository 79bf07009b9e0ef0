"""Certificates: issued on completion, frozen at issue, verifiable by anyone by code or QR."""
