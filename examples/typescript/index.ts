import * as pulumi from "@pulumi/pulumi";
import * as objectcopy from "@objectcopy/pulumi";

interface Copy { source: string; destination: string }

// One copy by default; config `copies` (name -> {source, destination}) seeds several.
const config = new pulumi.Config();
const copies = config.getObject<Record<string, Copy>>("copies") ?? {
    seed: { source: "s3://golden-snapshots/db/v42.dump", destination: "s3://env-dev/db/seed.dump" },
};

export const seeded: Record<string, pulumi.Output<object>> = {};
for (const [name, { source, destination }] of Object.entries(copies)) {
    // A server-side copy kept in sync with its golden source: `pulumi preview` shows the source ETag it copies.
    const copy = new objectcopy.CopiedObject(name, { source, destination, metadataDirective: "COPY" });
    // The golden object read without copying it.
    const golden = objectcopy.getObjectOutput({ url: source });
    seeded[name] = pulumi.all([copy.sourceEtag, copy.method, golden.size])
        .apply(([sourceEtag, method, goldenSize]) => ({ sourceEtag, method, goldenSize }));
}
