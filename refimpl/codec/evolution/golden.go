package evolution

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteGolden writes the golden payloads of the old (V1) and new (Added)
// versions for every codec under dir (the package's testdata). Run it only
// to add a codec: payloads written once must keep decoding forever.
func WriteGolden(dir string) error {
	fs, err := formats()
	if err != nil {
		return err
	}
	for _, f := range fs {
		for _, v := range []any{oldValue(), newValue()} {
			b, err := f.encode(v)
			if err != nil {
				return fmt.Errorf("evolution: %s: encode %T: %w", f.id(), v, err)
			}
			p := filepath.Join(dir, f.id(), fmt.Sprintf("%T", v)[len("*evolution."):]+".bin")
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
