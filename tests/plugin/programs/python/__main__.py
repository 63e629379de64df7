import pulumi
from pulumi_objectcopy.plugin import CopiedObject

# config `copies`: name -> {source, destination}, as examples/typescript takes it
seeded = {}
for name, spec in pulumi.Config().require_object("copies").items():
    copy = CopiedObject(name, source=spec["source"], destination=spec["destination"], metadata_directive="COPY")
    seeded[name] = {"sourceEtag": copy.source_etag, "method": copy.method}
pulumi.export("seeded", seeded)
