// Package fb holds the flatbuffers accessors and builders of the domain
// events and snapshots, generated from events.fbs by flatc. See
// docs/codecs.md to regenerate.
package fb

//go:generate sh -c "flatc --go --go-namespace fb --gen-onefile -o . events.fbs && mv events_generated.go events_fb.go && gofmt -w events_fb.go && sha256sum events.fbs > events.fbs.sha256"
