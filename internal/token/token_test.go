package token

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, empty, spaced := write("good", "s3cret\n"), write("empty", "\n"), write("spaced", "a b")
	cases := []struct {
		name, env, file string
		setEnv          bool
		want, err       string
	}{
		{name: "nothing"},
		{name: "env", env: "e-tok", setEnv: true, want: "e-tok"},
		{name: "file, newline trimmed", file: good, want: "s3cret"},
		{name: "both", env: "x", setEnv: true, file: good, err: "--tf and $TOK_TEST both set"},
		{name: "empty env", setEnv: true, err: "$TOK_TEST is set but empty"},
		{name: "empty file", file: empty, err: "the file is empty"},
		{name: "missing file", file: filepath.Join(dir, "nope"), err: "--tf:"},
		{name: "white space", file: spaced, err: "white space"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setEnv {
				t.Setenv("TOK_TEST", tc.env)
			} else {
				os.Unsetenv("TOK_TEST")
			}
			got, err := Read("TOK_TEST", tc.file, "--tf")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "a b") {
					t.Fatalf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
