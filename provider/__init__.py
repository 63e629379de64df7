"""pulumi-objectcopy: server-side object copies and snapshots as Pulumi resources."""
__version__ = "0.1.0"
__all__ = ["AnalyticsSnapshot", "AnalyticsSnapshotRestore", "CopiedObject", "CopiedPrefix", "EpmObjectStoreExport",
           "EpmObjectStoreImport"]


def __getattr__(name: str):
    # Lazy, so the `objectcopy` command does not pay for importing pulumi and grpc.
    if name == "CopiedObject":
        from .resources.copied_object import CopiedObject
        return CopiedObject
    if name == "CopiedPrefix":
        from .resources.copied_prefix import CopiedPrefix
        return CopiedPrefix
    if name in ("AnalyticsSnapshot", "AnalyticsSnapshotRestore"):
        from .resources import analytics_snapshot
        return getattr(analytics_snapshot, name)
    if name in ("EpmObjectStoreExport", "EpmObjectStoreImport"):
        from .resources import epm_transfer
        return getattr(epm_transfer, name)
    raise AttributeError(name)
