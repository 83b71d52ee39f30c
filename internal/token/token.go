// Package token reads a bearer token the way every esbench command takes
// one: from an environment variable or a file named by a flag, never from a
// flag's value (it would show in process lists), and never echoed back.
package token

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Read returns the token from the environment variable env or from file
// (named by the flag fileFlag, for messages); "" when neither is set. Both
// set, an empty variable or file, and a token with white space inside are
// errors naming the source, never the token.
func Read(env, file, fileFlag string) (string, error) {
	val, inEnv := os.LookupEnv(env)
	switch {
	case inEnv && file != "":
		return "", fmt.Errorf("%s and $%s both set: give the token one way", fileFlag, env)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("%s: %w", fileFlag, err)
		}
		tok := strings.TrimRight(string(b), "\r\n")
		if tok == "" {
			return "", fmt.Errorf("%s %s: the file is empty", fileFlag, file)
		}
		return tok, check(tok, fileFlag+" "+file)
	case inEnv && val == "":
		return "", fmt.Errorf("$%s is set but empty", env)
	}
	return val, check(val, "$"+env)
}

func check(tok, source string) error {
	if strings.ContainsAny(tok, " \t\r\n") {
		return errors.New(source + ": the bearer token contains white space")
	}
	return nil
}
