"""pulumi-objectcopy: server-side object copies and snapshots as Pulumi resources."""
__version__ = "0.1.0"
