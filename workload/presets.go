package workload

import (
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/esbench/esbench/internal/suggest"
)

//go:embed presets/*.yaml
var presetFS embed.FS

// ErrUnknownPreset is returned by Preset for a name that is not built in.
var ErrUnknownPreset = errors.New("unknown workload preset")

// Presets lists the built-in workload names.
func Presets() []string {
	entries, err := presetFS.ReadDir("presets")
	if err != nil {
		return nil // embedded at build time; cannot fail
	}
	var out []string
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// Preset parses the built-in workload name.
func Preset(name string) (*Spec, error) {
	data, err := PresetYAML(name)
	if err != nil {
		return nil, err
	}
	return Parse("preset "+name+".yaml", data)
}

// PresetYAML returns the built-in workload file name as shipped, comments
// included, so a user of the binary alone has a file to copy and edit.
func PresetYAML(name string) ([]byte, error) {
	data, err := presetFS.ReadFile("presets/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%w %q (built in: %s)%s", ErrUnknownPreset, name, strings.Join(Presets(), ", "), suggest.Hint(name, Presets()))
	}
	return data, nil
}

// Load resolves a workload argument: a built-in preset name, or else a file
// path.
func Load(nameOrPath string) (*Spec, error) {
	for _, p := range Presets() {
		if p == nameOrPath {
			return Preset(p)
		}
	}
	return LoadFile(nameOrPath)
}
