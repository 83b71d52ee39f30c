// Package evofb holds the generated FlatBuffers accessors of the evolution
// matrix's test schemas. See docs/codecs.md to regenerate.
package evofb

//go:generate sh -c "flatc --go --go-namespace evofb --gen-onefile -o . evolution.fbs && mv evolution_generated.go evolution_fb.go && gofmt -w evolution_fb.go && sha256sum evolution.fbs > evolution.fbs.sha256"
