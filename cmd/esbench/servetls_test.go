package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/esbench/esbench/target/remote/apitest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "esbench test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// TestServeTLSWithToken serves over TLS with a bearer token and checks the
// remote client end to end: conformance passes with the CA and the token,
// and fails clearly without either.
func TestServeTLSWithToken(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("tls-token-42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url, _, serveOut := startServe(t, "--store", "memory", "--tls-cert", cert, "--tls-key", key, "--token-file", tok)
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("serve with TLS listens on %s", url)
	}
	for _, proto := range []string{"grpc", "json"} {
		out, err := runCLI(t, "conformance", "--target", url, "--remote-protocol", proto, "--remote-ca-file", cert, "--remote-token-file", tok)
		n := strconv.Itoa(len(apitest.Checks()))
		if err != nil || !strings.Contains(out, n+" checks: "+n+" passed") {
			t.Fatalf("conformance over TLS (%s): %v\n%s", proto, err, out)
		}
	}
	if _, err := runCLI(t, "conformance", "--target", url, "--remote-token-file", tok); err == nil || !strings.Contains(err.Error(), "(tls)") {
		t.Fatalf("without the CA: %v, want a tls failure", err)
	}
	if _, err := runCLI(t, "conformance", "--target", url, "--remote-ca-file", cert); err == nil || !strings.Contains(err.Error(), "refused the bearer token") {
		t.Fatalf("without the token: %v, want the token refused", err)
	}
	if strings.Contains(serveOut.String(), "tls-token-42") {
		t.Fatalf("the token is in serve's output:\n%s", serveOut)
	}
}
