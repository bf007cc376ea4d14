"""Tested reference implementations that the knowledge base's pages embed."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reference")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
