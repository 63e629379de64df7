// sdkgen generates a Pulumi package's SDKs from its schema with Pulumi's own code generator (pkg/codegen at the
// release the project pins), for machines where `pulumi package gen-sdk` cannot run: it asks the language hosts
// for their generators, and the hosts this workplace can build or write lack them.
//
//	sdkgen -schema schema.json -out DIR [-lang nodejs,go]
//
// writes DIR/<lang>/... as `pulumi package gen-sdk` lays it out. The schema must stand alone (no references to
// other packages).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

const tool = "objectcopy-sdkgen"

// noReferences is the loader of a schema that refers to no other package.
type noReferences struct{}

var errNoReferences = errors.New("this schema must not refer to other packages")

func (noReferences) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoReferences
}

func (noReferences) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoReferences
}

func (noReferences) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoReferences
}

func (noReferences) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoReferences
}

func bind(path string) (*schema.Package, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noReferences{}, schema.ValidationOptions{})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s does not bind: %s", path, diags.Error())
	}
	return pkg, nil
}

func generate(lang string, pkg *schema.Package) (map[string][]byte, error) {
	switch lang {
	case "nodejs":
		return nodejs.GeneratePackage(tool, pkg, nil, nil, false, noReferences{})
	case "go":
		return gogen.GeneratePackage(tool, pkg, nil)
	}
	return nil, fmt.Errorf("no generator for %q here (nodejs, go)", lang)
}

func write(dir string, files map[string][]byte) error {
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func run() error {
	schemaPath := flag.String("schema", "", "the package schema (JSON)")
	out := flag.String("out", "", "output folder; each language goes into <out>/<language>")
	langs := flag.String("lang", "nodejs,go", "languages, comma-separated")
	flag.Parse()
	if *schemaPath == "" || *out == "" {
		return errors.New("usage: sdkgen -schema schema.json -out DIR [-lang nodejs,go]")
	}
	for _, lang := range strings.Split(*langs, ",") {
		// Each generator records its language's settings on the package: bind afresh for each.
		pkg, err := bind(*schemaPath)
		if err != nil {
			return err
		}
		files, err := generate(lang, pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", lang, err)
		}
		dir := filepath.Join(*out, lang)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		if err := write(dir, files); err != nil {
			return err
		}
		fmt.Printf("%s: %d files in %s\n", lang, len(files), dir)
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "sdkgen: %v\n", err)
		os.Exit(1)
	}
}
