// sdkgen-dotnet generates the C# SDK of a Pulumi package from its schema with Pulumi's own C# generator. Pulumi
// moved that generator out of pkg/codegen into the .NET language host's module, which the Go module proxy here does
// not serve; pkg/v3 v3.163.0 is the newest release served that still holds it.
//
//	sdkgen-dotnet -schema schema.json -out DIR
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "objectcopy-sdkgen"

type noReferences struct{}

var errNoReferences = errors.New("this schema must not refer to other packages")

func (noReferences) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoReferences
}

func (noReferences) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoReferences
}

// logo answers the one request the C# generator makes: it downloads the package's logo (Pulumi's, from GitHub, when
// the schema names none) to put in the NuGet package. No download here: a 1x1 PNG stands in, so generation needs no
// network.
type logo struct{}

// A 1x1 transparent PNG.
const png = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"

func (logo) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(req.URL.Path, ".png") {
		return nil, fmt.Errorf("sdkgen-dotnet makes no request but the logo's, not %s", req.URL)
	}
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"image/png"}},
		Body: io.NopCloser(strings.NewReader(png)), Request: req}, nil
}

func main() {
	http.DefaultTransport = logo{}
	http.DefaultClient.Transport = logo{}
	schemaPath := flag.String("schema", "", "the package schema (JSON)")
	out := flag.String("out", "", "the folder to write DIR/dotnet into")
	flag.Parse()
	if *schemaPath == "" || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: sdkgen-dotnet -schema schema.json -out DIR")
		os.Exit(2)
	}
	if err := run(*schemaPath, filepath.Join(*out, "dotnet")); err != nil {
		fmt.Fprintln(os.Stderr, "sdkgen-dotnet:", err)
		os.Exit(1)
	}
}

func run(schemaPath, dir string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noReferences{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s does not bind: %s", schemaPath, diags.Error())
	}
	files, err := dotnet.GeneratePackage(tool, pkg, nil, nil)
	if err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
